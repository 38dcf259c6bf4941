"""Concrete structures, one file each: the class and all of its fast paths."""
