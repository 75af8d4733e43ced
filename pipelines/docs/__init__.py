"""The docs asset group (pipelines/docs/assets.py): documentation generated from the warehouse."""
