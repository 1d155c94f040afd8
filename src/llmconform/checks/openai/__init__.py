"""checks/openai"""
