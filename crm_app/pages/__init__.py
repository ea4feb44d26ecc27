"""One module per page; ``crm_app.crm_app`` registers them with their routes."""
