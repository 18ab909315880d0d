# Copy to instance/config.py to override defaults. DATABASE_URL in the environment wins over this.
# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://workbench:secret@127.0.0.1:5432/workbench"
# POSTS_PER_PAGE = 25
# LOGIN_MAX_FAILURES = 5       # failures before an account or address is locked
# LOGIN_LOCK_SECONDS = 900
# PREFERRED_URL_SCHEME = "https"  # marks cookies Secure
