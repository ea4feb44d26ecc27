"""Background work: the post-call pipeline and the queue that runs it.

- :mod:`crm_app.jobs.pipeline`: the steps (their record on the call is
  :mod:`crm_app.services.call_pipeline`);
- :mod:`crm_app.jobs.queue`: procrastinate jobs in the CRM's database;
- :mod:`crm_app.jobs.worker`: ``python -m crm_app worker`` (``make run`` runs one);
- :mod:`crm_app.jobs.hooks`: what the voice bridge's call events queue.
"""
