"""Alerting: rule types (detectors) → incidents → notification channels, run by the scheduler.

Data flows one way: a rule reads the review store and returns ``Firing`` records; the
``IncidentManager`` turns firings into incidents (one burst, one incident) and notifies the
rule's channels; ``run_detection`` ties one tick together and the scheduler repeats it.
"""
