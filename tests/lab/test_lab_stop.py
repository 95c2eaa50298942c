"""A stopped lab leaves nothing behind in moto's process-global state, and takes nothing from a
lab still running beside it (one process starts lab after lab: test sessions, the evals)."""

from __future__ import annotations

import gc
import tracemalloc

from moto.core.base_backend import BackendDict
from moto.core.model_instances import model_data

from agents.lab.server import Lab, LabConfig, _account_of

SMALL = LabConfig(history_minutes=5, rotation_s=None)


def _tracked(account_id: str) -> int:
    return sum(
        1
        for models in model_data.values()
        for model in models.values()
        for obj in model.instances_tracked
        if _account_of(obj) == account_id
    )


def test_a_stopped_labs_account_is_in_no_moto_backend_and_no_tracked_object() -> None:
    with Lab(config=SMALL) as lab:
        account = lab.account_id
        assert any(account in backends for backends in BackendDict._instances)
        assert _tracked(account) > 0

    assert not any(account in backends for backends in BackendDict._instances)
    assert _tracked(account) == 0


def test_a_lab_beside_the_stopped_one_keeps_its_captures_instances_and_next_addresses() -> None:
    with Lab(config=SMALL) as staying:
        ec2 = staying.client("ec2")
        subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
        first = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]
        with Lab(config=SMALL):
            pass

        captures = staying.client("s3").list_objects_v2(Bucket=staying.bucket)["KeyCount"]
        second = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]
        running = {i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]}

    assert captures > 0
    assert {first["InstanceId"], second["InstanceId"], staying.ids.app_instance_id} <= running
    assert first["PrivateIpAddress"] != second["PrivateIpAddress"]  # the subnet's next address carried on


def test_starting_and_stopping_labs_does_not_add_up_in_memory() -> None:
    tracemalloc.start()
    try:
        held = []
        for _ in range(4):
            with Lab(config=SMALL):
                pass
            gc.collect()
            held.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()

    per_lab = (held[-1] - held[1]) / 2  # the first lab pays moto's one-time imports and caches
    assert per_lab < 2_000_000, f"{per_lab / 1e6:.1f} MB held per stopped lab (17 MB before moto was told)"
