"""The batch's messages with its grading workers: typed, and refused when malformed
(a worker shares its sandbox with the learner's code, so what it sends is data to check)."""

from __future__ import annotations

import io

import pytest

from asynclings.grading.batch import _outcome
from asynclings.grading.messages import Hello, Job, Limits, ProtocolError, Reply
from asynclings.grading.worker import read_frame, write_frame


def _through_a_frame(data: dict) -> dict:
    stream = io.BytesIO()
    write_frame(stream, data)
    stream.seek(0)
    frame = read_frame(stream)
    assert frame is not None
    return frame


def _reply(**changes: object) -> dict:
    data: dict[str, object] = {
        "seconds": 1.25,
        "output_tail": "",
        "exit": "exit status 0",
        "clean": True,
        "left_behind": [],
        "status": "ok",
        "results": {"exercises": []},
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not _DROP}


_DROP = object()


def test_each_message_survives_a_frame_unchanged():
    job = Job({"ex02_gather": b"async def f():\n    pass\n\xff"}, Limits(timeout=20), 7, "ab12")
    assert Job.from_dict(_through_a_frame(job.to_dict())) == job
    unseeded = Job({}, Limits(), None, "t")
    assert Job.from_dict(_through_a_frame(unseeded.to_dict())) == unseeded
    hello = Hello(
        uid=61000, pid=2, network="unreachable (x)", kit_writable=False, solutions_visible=False
    )
    assert Hello.from_dict(_through_a_frame(hello.to_dict())) == hello
    reply = Reply("ok", 1.5, "tail", "exit status 0", True, ("shm 0x1",), {"exercises": []})
    assert Reply.from_dict(_through_a_frame(reply.to_dict())) == reply
    crashed = Reply("crashed", 0.5, "", "killed by SIGKILL", False)
    assert "results" not in crashed.to_dict()
    assert Reply.from_dict(_through_a_frame(crashed.to_dict())) == crashed


def test_the_frames_hold_what_they_held_before():
    limits = Limits(timeout=20, memory_mb=1024)
    assert Job({"m": b"x"}, limits, None, "tok").to_dict() == {
        "modules": {"m": "eA=="},
        "limits": {"timeout": 20, "memory_mb": 1024, "output_mb": 16, "processes": 64},
        "seed": None,
        "token": "tok",
    }
    assert Hello(0, 1, "reachable", True, True).to_dict() == {
        "hello": {
            "uid": 0,
            "pid": 1,
            "network": "reachable",
            "kit_writable": True,
            "solutions_visible": True,
        }
    }
    assert list(Reply("ok", 1.0, "", "e", True, (), {}).to_dict()) == [
        "seconds",
        "output_tail",
        "exit",
        "clean",
        "left_behind",
        "status",
        "results",
    ]


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        (
            {"clean": "yes"},
            "field 'clean' of the worker's reply must be true or false, not 'yes' (str)",
        ),
        ({"clean": 1}, "field 'clean' of the worker's reply must be true or false, not 1 (int)"),
        (
            {"seconds": "1.0"},
            "field 'seconds' of the worker's reply must be a number, not '1.0' (str)",
        ),
        (
            {"seconds": True},
            "field 'seconds' of the worker's reply must be a number, not True (bool)",
        ),
        ({"exit": None}, "field 'exit' of the worker's reply must be text, not missing"),
        (
            {"output_tail": _DROP},
            "field 'output_tail' of the worker's reply must be text, not missing",
        ),
        (
            {"left_behind": "shm"},
            "field 'left_behind' of the worker's reply must be a list of text, not 'shm' (str)",
        ),
        (
            {"left_behind": [3]},
            "field 'left_behind' of the worker's reply must be a list of text, not [3] (list)",
        ),
        ({"status": "fine"}, "has status 'fine'; expected one of ok, timed out, crashed, forged"),
        ({"status": 0}, "field 'status' of the worker's reply must be text, not 0 (int)"),
        ({"results": _DROP}, "has status 'ok' and no results"),
        ({"status": "crashed"}, "has status 'crashed' and results: only an ok reply has them"),
        ({"extra": 1}, "the worker's reply has unexpected fields: extra"),
    ],
)
def test_a_malformed_reply_is_refused_saying_which_field_is_wrong(changes, error):
    with pytest.raises(ProtocolError) as refused:
        Reply.from_dict(_reply(**changes))
    assert error in str(refused.value)


@pytest.mark.parametrize("frame", [[], "ok", None, {1: "x"}])
def test_a_reply_that_is_not_a_table_is_refused(frame):
    with pytest.raises(ProtocolError, match="the worker's reply must be a table with text keys"):
        Reply.from_dict(frame)


def test_a_malformed_hello_or_job_is_refused():
    facts = {"uid": 0, "pid": 1, "network": "reachable", "kit_writable": False}
    with pytest.raises(
        ProtocolError,
        match="field 'solutions_visible' of the worker's hello must be true or false, not missing",
    ):
        Hello.from_dict({"hello": facts})
    with pytest.raises(
        ProtocolError,
        match="field 'pid' of the worker's hello must be a whole number, not 1.0 \\(float\\)",
    ):
        Hello.from_dict({"hello": {**facts, "pid": 1.0, "solutions_visible": False}})
    with pytest.raises(ProtocolError, match="the worker's hello must be a table"):
        Hello.from_dict({"hello": ["uid"]})
    job = Job({"m": b"x"}, Limits(), 1, "t").to_dict()
    with pytest.raises(ProtocolError, match="a job's module 'm' is not valid base64"):
        Job.from_dict({**job, "modules": {"m": "not base64!"}})
    with pytest.raises(
        ProtocolError, match="field 'memory_mb' of the job's limits must be a whole number"
    ):
        Job.from_dict({**job, "limits": {**job["limits"], "memory_mb": "2048"}})
    with pytest.raises(ProtocolError, match="the job's limits has unexpected fields: cpu"):
        Job.from_dict({**job, "limits": {**job["limits"], "cpu": 1}})
    with pytest.raises(
        ProtocolError, match="field 'seed' of a job must be a whole number, not True"
    ):
        Job.from_dict({**job, "seed": True})


def test_results_that_are_not_results_still_read_as_invalid_results():
    """A reply's results are the job's own output: the batch checks them, as before."""
    outcome = _outcome(Reply.from_dict(_reply(results=[1, 2])), Limits())
    assert (outcome.results, outcome.status) == (None, "crashed")
    assert outcome.problem == "the grading process left invalid results"
