"""The app as a multi-process server sees it, configured from the environment by the tests."""
import os

from workbench import create_app

app = create_app({"SQLALCHEMY_DATABASE_URI": os.environ["WB_TEST_DATABASE_URL"],
                  "SECRET_KEY": os.environ["WB_TEST_SECRET_KEY"],
                  "INSTANCE_PATH": os.environ["WB_TEST_INSTANCE"]})
