"""REST API v1: tasks (list with filters, create, edit, finish, snooze)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from crm_app.api.bodies import HAS_TEXT, Body
from crm_app.api.deps import BodyId, CurrentPrincipal, IsoDateTime, RowId
from crm_app.db import unit_of_work
from crm_app.models import Task, TaskKind, TaskState
from crm_app.services import tasks
from crm_app.services.errors import InvalidInput, NotFound

router = APIRouter(prefix="/tasks", tags=["tasks"])
Title = Annotated[str, Field(min_length=1, max_length=200, pattern=HAS_TEXT)]
Details = Annotated[str, Field(max_length=4000)]
QueryId = Annotated[int, Query(ge=1, le=2**53 - 1)]


class TaskOut(BaseModel):
    """A task as the API shows it."""

    id: int
    title: str
    details: str
    due_at: datetime
    state: TaskState
    kind: TaskKind
    assignee_id: int | None
    lead_id: int | None
    call_id: int | None
    done_at: datetime | None
    created_at: datetime


class TaskIn(Body):
    """A new task; the assignee defaults to whoever creates it."""

    title: Title
    due_at: IsoDateTime
    details: Details = ""
    assignee_id: BodyId | None = None
    lead_id: BodyId | None = None


class TaskPatch(Body):
    """Changes; ``state: snoozed`` needs the ``due_at`` it is due again, in the same request."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"properties": {"state": {"enum": ["open", "done", None]}}},
                {
                    "required": ["state", "due_at"],
                    "properties": {"state": {"const": "snoozed"}, "due_at": {"type": "string"}},
                },
            ]
        }
    )

    title: Title | None = None
    details: Details | None = None
    due_at: IsoDateTime | None = None
    assignee_id: BodyId | None = None
    state: TaskState | None = None


class TaskList(BaseModel):
    """Tasks, soonest due first."""

    items: list[TaskOut]


def _out(task: Task) -> TaskOut:
    assert task.id is not None
    return TaskOut(
        id=task.id,
        title=task.title,
        details=task.details,
        due_at=task.due_at,
        state=TaskState(task.state),
        kind=TaskKind(task.kind),
        assignee_id=task.assignee_id,
        lead_id=task.lead_id,
        call_id=task.call_id,
        done_at=task.done_at,
        created_at=task.created_at,
    )


@router.get("", response_model=TaskList)
def list_tasks(
    principal: CurrentPrincipal,
    assignee: Annotated[
        Literal["me"] | Annotated[int, Field(ge=1, le=2**53 - 1)] | None,
        Query(description="me or a user id"),
    ] = None,
    lead_id: QueryId | None = None,
    due_from: IsoDateTime | None = None,
    due_to: IsoDateTime | None = None,
    state: Literal["open", "done", "snoozed", "unfinished"] | None = None,
    limit: Annotated[int, Query(ge=1, le=tasks.MAX_PAGE)] = 50,
) -> TaskList:
    """The business's tasks by assignee, lead, due range and state."""
    filters = tasks.TaskFilters(
        assignee_id=principal.user_id if assignee == "me" else assignee,
        lead_id=lead_id,
        due_from=due_from,
        due_to=due_to,
        state=state,
    )
    with unit_of_work(read_only=True) as session:
        found = tasks.list_tasks(session, principal=principal, filters=filters, limit=limit)
        return TaskList(items=[_out(t) for t in found])


def _not_found_for_foreign_ids(exc: InvalidInput) -> Exception:
    """An assignee who is no user of this business is not found, like any other id."""
    return NotFound(exc.message, key=exc.key) if exc.field == "owner_id" else exc


@router.post("", response_model=TaskOut, status_code=201)
def create_task(body: TaskIn, principal: CurrentPrincipal) -> TaskOut:
    """Create a task, maybe about a lead; another business's lead or user is 404."""
    try:
        with unit_of_work() as session:
            task = tasks.create_task(
                session,
                principal=principal,
                title=body.title,
                due_at=body.due_at,
                assignee_id=body.assignee_id,
                lead_id=body.lead_id,
                details=body.details,
            )
            return _out(task)
    except InvalidInput as exc:
        raise _not_found_for_foreign_ids(exc) from exc


@router.patch("/{task_id:int}", response_model=TaskOut)
def patch_task(task_id: RowId, body: TaskPatch, principal: CurrentPrincipal) -> TaskOut:
    """Edit, finish (``done``), reopen (``open``) or snooze a task."""
    changes = tasks.TaskChanges(
        title=body.title,
        details=body.details,
        due_at=body.due_at,
        assignee_id=body.assignee_id,
        state=body.state.value if body.state else None,
    )
    try:
        with unit_of_work() as session:
            task = tasks.update_task(session, principal=principal, task_id=task_id, changes=changes)
            return _out(task)
    except InvalidInput as exc:
        raise _not_found_for_foreign_ids(exc) from exc
