"""protocols/common"""
