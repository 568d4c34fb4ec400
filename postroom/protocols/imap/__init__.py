"""protocols/imap"""
