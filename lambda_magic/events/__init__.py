"""Event templates: the events AWS services send to Lambda, as data, rendered correctly.

>>> from lambda_magic.events import Catalog
>>> catalog = Catalog.load()
>>> event = catalog.render("s3/put", {"key": "red flower.jpg"})
>>> event["Records"][0]["s3"]["object"]["key"]
'red+flower.jpg'

Pure Python (standard library only): no IPython, pandas or ipywidgets.  The template
files and their placeholder scheme are described in ``README.md`` beside this file.
"""

from ..common.errors import InvalidParameterValueException, UnknownParameterError, UnknownTemplateError
from .catalog import Catalog
from .model import Param, Template

__all__ = [
    "Catalog",
    "InvalidParameterValueException",
    "Param",
    "Template",
    "UnknownParameterError",
    "UnknownTemplateError",
]
