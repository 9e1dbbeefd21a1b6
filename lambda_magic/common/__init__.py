"""The vocabulary every layer shares: the errors Lambda's API answers with and its quotas.

Nothing here imports anything else from the package, so the runtime, the event
catalog, the sources, the display and the magics may all use it.
"""
