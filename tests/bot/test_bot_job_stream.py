"""Reading a stream entry back as a job: Redis hands back bytes or text, and entries may lack fields."""

from __future__ import annotations

from bot.job_stream import Job, job_from_entry


def test_an_entry_in_bytes_reads_as_the_job_that_was_written() -> None:
    job = job_from_entry(b"1-0", {b"kind": b"question", b"payload": b'{"q": "why?"}'}, deliveries=3)
    assert job == Job("1-0", "question", {"q": "why?"}, 3)


def test_an_entry_in_text_reads_the_same() -> None:
    assert job_from_entry("1-0", {"kind": "decision", "payload": "{}"}) == Job("1-0", "decision", {}, 1)


def test_an_entry_without_fields_is_a_job_of_no_kind_and_an_empty_payload() -> None:
    assert job_from_entry(b"2-0", {b"other": b"x"}) == Job("2-0", "", {}, 1)
