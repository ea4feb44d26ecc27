"""AI call-center CRM: Reflex UI, REST API and domain services."""
