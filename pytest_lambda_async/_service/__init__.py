"""_service"""
