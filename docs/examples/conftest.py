"""The examples are ordinary pytest files: each pairs a buggy handler (marked
``xfail(strict=True)``: the plugin must catch it) with its fix (which passes)."""
