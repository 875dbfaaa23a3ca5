"""_checks"""
