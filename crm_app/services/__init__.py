"""Domain logic; nothing here imports reflex.

Each public function takes a session first and never commits it: the caller's
``unit_of_work()`` decides.
"""
