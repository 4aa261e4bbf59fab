"""No N+1: a page of projects with sites, responsibilities and all eight categories runs
the same number of SQL statements whatever the page size."""

import pytest
from sqlalchemy import event

from tests.schema.conftest import in_process

NESTED = """query($first: Int) { projects(first: $first) { totalCount nodes {
  code name sites { name geometry } centroid responsibilities { category department { name } }
  approvalService { title publisher { name } formedOn deadline }
  approvalResults { title approvalDocNo publisher { name } responsibleDepartment { code } history { revision } }
  bidding { title winningBidder publisher { name } }
  landAcquisition { title geometry publisher { name } }
  designChanges { title changeReason publisher { name } }
  construction { title drawingReviewAgency publisher { name } }
  qualitySafety { title supervisionAgency publisher { name } }
  completion { title acceptanceDate publisher { name } } } } }"""


async def statements_for(first: int) -> tuple[int, int]:
    async with in_process() as (client, app):
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(app.state.db.read.sync_engine, "before_cursor_execute", listener)
        response = await client.post(
            "/graphql", json={"query": NESTED, "variables": {"first": first}}
        )
        event.remove(app.state.db.read.sync_engine, "before_cursor_execute", listener)
    body = response.json()
    assert "errors" not in body, body["errors"][:2]
    return len(body["data"]["projects"]["nodes"]), len(statements)


@pytest.mark.usefixtures("demo_data")
async def test_statement_count_does_not_grow_with_the_page():
    small_rows, small = await statements_for(2)
    large_rows, large = await statements_for(30)
    assert (small_rows, large_rows) == (2, 30)
    assert small == large
    # page + count + sites + responsibilities + disclosures + departments + history
    assert large <= 7
