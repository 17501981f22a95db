"""Django admin of the lifecycle app."""

# --- periodic review (rule sets, campaigns, inspections, metrics, feedback) ------------
# Lives in lifecycle/admin_review.py; importing it registers the ModelAdmins.
from . import admin_review  # noqa: F401

# --- units, accounts, memberships -----------------------------------------------------
