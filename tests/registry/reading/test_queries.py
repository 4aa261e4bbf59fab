"""Chinese substring search: the gram index (migration 0011) never loses a match that the
ILIKE it guards would find, and the statement the registry builds can use the index."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from registry.reading import queries
from registry.reading.inputs import ProjectQuery

# Chinese, Latin of both cases, digits, LIKE's own characters, spaces and a few odd ones
LETTERS = st.sampled_from(list("南昌市道路桥梁改造工程红谷滩AaBbZz09%_\\ -·（）İßΣσς"))
TEXTS = st.text(LETTERS, max_size=12)


@settings(max_examples=300, deadline=None)
@given(name=TEXTS, description=st.none() | TEXTS, query=TEXTS.filter(bool), cut=st.data())
def test_the_grams_keep_every_match_of_the_ilike(engine, name, description, query, cut):
    # half the time the query is a real piece of the name or description
    if cut.draw(st.booleans()):
        source = cut.draw(st.sampled_from([name, description or name]))
        if source:
            start = cut.draw(st.integers(0, len(source) - 1))
            query = source[start : cut.draw(st.integers(start + 1, len(source)))]
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT (:n ILIKE :p OR :d ILIKE :p) AS matched, "
                "text_grams(:n, :d) @> text_grams(:q) AS kept"
            ),
            {"n": name, "d": description, "p": f"%{escaped}%", "q": query},
        ).one()
    assert row.kept or not row.matched, (name, description, query)


def test_the_search_statement_can_use_the_gram_index(engine):
    condition = queries.project_conditions(ProjectQuery(text="道路"))[0]
    compiled = condition.compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    with engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        plan = conn.execute(text(f"EXPLAIN SELECT id FROM projects WHERE {compiled}")).scalars()
        assert "ix_projects_search_grams" in "\n".join(plan)
