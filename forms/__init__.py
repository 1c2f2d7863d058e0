"""The shipped form specifications (TOML) and the fillable PDFs built from them.

Installed as ``oppforms.forms`` so the files are found with importlib.resources.
"""
