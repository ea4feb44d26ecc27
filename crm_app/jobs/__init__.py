"""Background work: the post-call pipeline and the queues that run it.

- :mod:`crm_app.jobs.pipeline`: the steps and their state on the call;
- :mod:`crm_app.jobs.queue`: procrastinate on Postgres, a thread on SQLite;
- :mod:`crm_app.jobs.worker`: ``python -m crm_app worker``;
- :mod:`crm_app.jobs.hooks`: the voice bridge's call events start runs.
"""
