"""Migration 0004 gives rows that already exist a uid each (unique), and new rows get one by default."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text

from workbench import create_app


def test_existing_rows_get_unique_uids(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True,
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    with app.app_context():
        upgrade(revision="0003")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO user (id, username, display_name, password_hash, role, active, created_at) "
                              "VALUES (1, 'u', '', 'x', 'reviewer', 1, '2020-01-01')"))
            conn.execute(text("INSERT INTO post (id, slug, date, title, body, comment_count, source_name, content_hash, "
                              "imported_at) VALUES (1, 's', '2020-01-01', 't', 'body text', 0, '', 'h', '2020-01-01')"))
            for i in (1, 2, 3):
                conn.execute(text("INSERT INTO claim (id, post_id, statement, category_id, created_by_id, created_at, "
                                  "updated_at, version) VALUES (:i, 1, 's', 1, 1, '2020-01-01', '2020-01-01', 1)"),
                             {"i": i})
                conn.execute(text("INSERT INTO verdict (claim_id, reviewer_id, rating, rationale, created_at) "
                                  "VALUES (:i, 1, 'true', '', '2020-01-01')"), {"i": i})
        upgrade(revision="0004")
        with engine.connect() as conn:
            uids = [r[0] for r in conn.execute(text("SELECT uid FROM claim"))]
            verdict_uids = [r[0] for r in conn.execute(text("SELECT uid FROM verdict"))]
        assert len(set(uids)) == 3 and all(len(u) == 32 for u in uids)
        assert len(set(verdict_uids)) == 3
        downgrade(revision="0003")
        with engine.connect() as conn:
            assert "uid" not in [r[1] for r in conn.execute(text("PRAGMA table_info(claim)"))]
        engine.dispose()
        from workbench.extensions import db
        db.engine.dispose()
