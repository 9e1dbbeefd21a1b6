import pytest
from IPython.core.interactiveshell import InteractiveShell

import lambda_magic as lm


@pytest.fixture(scope="session")
def shell():
    """One IPython shell with the extension loaded (InteractiveShell is a singleton)."""
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "lambda_magic")
    yield ip
    lm.account().shutdown()


@pytest.fixture(autouse=True)
def clean_account(shell):
    lm.reset()
    yield
    lm.reset()
