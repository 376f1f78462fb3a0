"""Prefect flows and their deployments (`aim-serve`); each task calls one library function.

Registry of served flows: `flows.registry.FLOWS`. Guide: flows/README.md.
"""
