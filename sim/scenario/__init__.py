"""What a scenario may say (schema), how files become one (loading, ``extends``, ``--set``), and edits of it.

The lowest layer: it knows nothing of the model, the results or files other than scenario YAML.
"""
