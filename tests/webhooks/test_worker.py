"""Outgoing webhooks through the real task worker process (`db_worker` on the test
database), with committed transactions: a delivery that fails twice is retried by the
worker on the schedule (the task backend holding each retry until it is due) and
arrives as the same message three times; a write that rolls back queues and sends
nothing; a delivery whose task was lost is handed over by the scheduler's chore."""

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from standardwebhooks import Webhook
from werkzeug import Response

from background.scheduler import CHORES
from events import types
from events.models import Event
from events.outbox import emit, executor
from tests import processes
from webhooks.models import Delivery, DeliveryStatus

from .conftest import LOOPBACK, make_endpoint, record

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("loopback")]

WORKER_ENV = {
    "OUTBOUND_ALLOW_NETWORKS": ",".join(LOOPBACK),
    "WEBHOOK_RETRY_SCHEDULE": "0.3,0.3,0.3,0.3,0.3,0.3,0.3",
}


def worker(tmp_path):
    return processes.start(
        processes.manage("db_worker", "--no-startup-delay", "--interval", "0.1", "--no-reload"),
        tmp_path / "worker.log",
        **WORKER_ENV,
    )


def test_a_receiver_that_fails_twice_gets_the_same_message_three_times(
    httpserver, metric, tmp_path
):
    answers = iter([500, 502, 204])
    httpserver.expect_request("/hook").respond_with_handler(
        lambda request: Response("", status=next(answers))
    )
    endpoint, secret = make_endpoint(metric.owner_id, httpserver.url_for("/hook"))
    running = worker(tmp_path)
    try:
        record(metric)  # commits: its delivery is queued for the worker
        delivery = processes.wait_until(
            lambda: Delivery.objects.filter(
                endpoint_id=endpoint.id, status=DeliveryStatus.SUCCEEDED
            ).first(),
            timeout=60,
            what="the delivery to succeed",
        )
    finally:
        processes.stop(running)
    requests = [(dict(r.headers), r.get_data()) for r, _ in httpserver.log]
    assert len(requests) == 3, running.log.read_text()[-3000:]
    assert {headers["Webhook-Id"] for headers, _ in requests} == {delivery.msg_id}
    for headers, body in requests:
        assert Webhook(secret).verify(body, headers)["type"] == "measurement.recorded"
    codes = list(delivery.attempt_log.order_by("at", "id").values_list("status_code", flat=True))
    assert codes == [500, 502, 204]


@executor
def write_that_fails(*, owner_id: int):
    emit(types.MEASUREMENT_RECORDED, owner_id=owner_id, subject=("measurement", 1), data={})
    raise RuntimeError("The write fails after its events were recorded.")


def test_a_write_that_rolls_back_sends_nothing(httpserver, metric):
    httpserver.expect_request("/hook").respond_with_data("ok")
    make_endpoint(metric.owner_id, httpserver.url_for("/hook"))
    with pytest.raises(RuntimeError):
        write_that_fails(owner_id=metric.owner_id)
    assert not Event.objects.filter(type=types.MEASUREMENT_RECORDED).exists()
    assert not Delivery.objects.exists()
    assert not DBTaskResult.objects.exists()
    processes.run_queued(**WORKER_ENV)
    assert httpserver.log == []


def test_a_delivery_whose_task_was_lost_is_sent_after_the_scheduler_hands_it_over(
    httpserver, metric
):
    httpserver.expect_request("/hook").respond_with_data("ok")
    endpoint, secret = make_endpoint(metric.owner_id, httpserver.url_for("/hook"))
    record(metric)
    DBTaskResult.objects.all().delete()  # the queue lost it (a process died after commit)
    processes.run_queued(**WORKER_ENV)
    assert httpserver.log == []

    [chore] = [chore for chore in CHORES if chore.name == "requeue_lost_webhooks"]
    assert chore.run(timezone.now() + dt.timedelta(minutes=6)) == "queued 1 delivery(ies)"
    processes.run_queued(**WORKER_ENV)
    [(request, _)] = httpserver.log
    Webhook(secret).verify(request.get_data(), dict(request.headers))
    assert Delivery.objects.get(endpoint_id=endpoint.id).status == DeliveryStatus.SUCCEEDED
