"""A dispatcher's invitation to share (instant on scene): the SMS with a one-time link for one phone,
the person's consent, and the alarm it raises for the inviting center. Its routes and views are the
calls domain's (calls/__init__.py, calls/views/invite.py)."""
