"""checks/responses"""
