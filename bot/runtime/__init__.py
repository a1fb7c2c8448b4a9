"""The composition root: builds every service from the settings and binds job kinds to their handlers.

Nothing under bot/ imports it; app.py and handlers/ do.
"""
