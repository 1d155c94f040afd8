"""checks/anthropic"""
