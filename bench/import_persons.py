"""Time importing a community's person sheet: 1,000 and 13,000 households (~50,000 persons).

    .venv/bin/python bench/import_persons.py [--households 1000,13000] [--formats xlsx,csv]

Writes a person sheet as communities keep it (one row per person, the household's columns
repeated, codes as Chinese words, a title row and a notes row), then imports it into an
empty data folder with fsync on, as `census import` does: read, check every household,
store. Prints a table; never passes or fails on a time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from census.domain.ids import make_resident_id  # noqa: E402
from census.services.records import prepare_store  # noqa: E402
from census.sheets.apply import apply_plan  # noqa: E402
from census.sheets.plan import plan_import  # noqa: E402
from census.sheets.reader import read_file  # noqa: E402
from census.sheets.writer import write_csv  # noqa: E402
from census.store import open_store  # noqa: E402
from census.surveys.definition import load_surveys  # noqa: E402

HEADER = [
    "序号", "户编号", "所属网格", "楼栋", "单元", "门牌号", "住房性质", "房东姓名", "房东电话",
    "姓名", "与户主关系", "公民身份号码", "性别", "民族", "出生日期", "人员类别", "联系电话",
    "政治面貌", "文化程度", "婚姻状况", "特殊情况",
]  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "建国 秀英 桂兰 志强 海燕 伟 芳 娜 敏 静 丽 强 磊 洋 勇 艳 杰 涛 明 超 霞 平 刚".split()
ETHNIC = (
    ["汉"] * 70
    + ["回"] * 10
    + ["维吾尔"] * 10
    + ["哈萨克"] * 5
    + ["蒙古", "满", "锡伯", "土家", "苗"]
)
REGIONS = ["650102", "650103", "650104", "650105", "110105", "410105", "510104", "620102"]
AS_OF = date(2025, 9, 1)


class People:
    """Makes residents with distinct, valid ID numbers."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.used: set[str] = set()

    def person(self, relation: str, age: int, sex: str | None = None) -> list[Any]:
        rng = self.rng
        sex = sex or rng.choice(["male", "female"])
        born = AS_OF - timedelta(days=365 * age + rng.randrange(365))
        while True:
            number = make_resident_id(rng.choice(REGIONS), born, rng.randint(1, 499), sex)
            if number not in self.used:
                self.used.add(number)
                break
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        residence = rng.choices(["常住人口", "流动人口", "外出人员"], [85, 12, 3])[0]
        political = rng.choices(["群众", "中共党员", "共青团员"], [80, 12, 8])[0]
        conditions = rng.choices(["", "残疾", "独居老人、残疾", "退役军人"], [94, 3, 1, 2])[0]
        return [
            name, relation, number, "男" if sex == "male" else "女", rng.choice(ETHNIC),
            born.strftime(rng.choice(["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"])), residence,
            f"13{rng.randint(0, 999999999):09d}", political,
            rng.choice(["初中", "高中", "大学本科", "小学"]),
            "已婚" if age >= 25 else "未婚", conditions,
        ]  # fmt: skip

    def household(self) -> list[list[Any]]:
        rng = self.rng
        head_age = rng.randint(25, 85)
        members = [self.person("户主", head_age, "male")]
        if rng.random() < 0.85:
            members.append(self.person("配偶", max(20, head_age + rng.randint(-5, 3)), "female"))
        if head_age < 70:
            for _ in range(rng.choices([0, 1, 2, 3, 4], [5, 25, 40, 20, 10])[0]):
                members.append(self.person("子女", rng.randint(0, max(0, head_age - 22))))
        if head_age < 60 and rng.random() < 0.5:
            for _ in range(rng.randint(1, 2)):
                members.append(self.person("父母", head_age + rng.randint(22, 30)))
        if head_age > 55 and rng.random() < 0.3:
            for _ in range(rng.randint(1, 2)):
                members.append(self.person("孙子女", rng.randint(0, 12)))
        return members


def person_rows(households: int, seed: int = 13) -> list[list[Any]]:
    """Title, header, a notes row, then one row per person."""
    people = People(seed)
    rows: list[list[Any]] = [
        ["佐斯腾社区人口信息登记表"],
        HEADER,
        ["填表说明：一行一人，同户编号为一户"],
    ]
    serial = 0
    for n in range(households):
        building = f"{n // 48 + 1}栋"
        unit, room = str(n % 48 // 24 + 1), f"{n % 24 // 2 + 1}0{n % 2 + 1}"
        rented = people.rng.random() < 0.12
        house = [
            f"H{n + 1:05d}", f"第{n // 48 % 12 + 1}网格", building, unit, room,
            "租住" if rented else "自有", "马福" if rented else None,
            "0991-1234567" if rented else None,
        ]  # fmt: skip
        for member in people.household():
            serial += 1
            rows.append([serial, *house, *member])
    return rows


def write_xlsx(path: Path, rows: list[list[Any]]) -> None:
    book = Workbook(write_only=True)
    ws = book.create_sheet("人口信息")
    for row in rows:
        ws.append(row)
    book.save(path)


def peak_mb() -> float:
    """The peak resident memory of this process or of any worker it waited for."""
    mine = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(mine, workers) / 1024


def run(path: Path, folder: Path) -> dict[str, Any]:
    form = load_surveys()["household"]
    timings: dict[str, Any] = {}
    with open_store(folder) as store:  # fsync on, as in production
        prepare_store(store)
        start, cpu = time.perf_counter(), time.process_time()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        sheets = read_file(path)
        timings["read"] = time.perf_counter() - start
        mark = time.perf_counter()
        plan = plan_import(store, form, sheets, filename=path.name, today=AS_OF)
        timings["check"] = time.perf_counter() - mark
        del sheets  # as `census import` does: only the report workbook needs them
        mark = time.perf_counter()
        done = apply_plan(store, plan, user="bench")
        timings["store"] = time.perf_counter() - mark
        timings["total"] = time.perf_counter() - start
        timings["cpu"] = time.process_time() - cpu  # this process only, not its workers
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        timings["workers"] = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
        timings["households"] = done.created
        timings["rejected"] = done.rejected
        timings["persons"] = sum(len(h["members"]) for h in store.collection("households").scan())
    timings["data_mb"] = sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) / 1e6
    timings["peak_mb"] = peak_mb()
    return timings


def write_files(folder: Path, households: int, formats: list[str]) -> list[Path]:
    """The person sheet of a community of this size, in each format."""
    rows = person_rows(households)
    paths = []
    for fmt in formats:
        path = folder / f"persons.{fmt}"
        if fmt == "xlsx":
            write_xlsx(path, rows)
        else:
            write_csv(path, rows[0], rows[1:])
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", default="1000,13000", help="sizes, comma-separated")
    parser.add_argument("--formats", default="xlsx,csv")
    parser.add_argument("--import-one", nargs=2, metavar=("FILE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.import_one:  # a child run: one import in a fresh process, result as JSON
        print(json.dumps(run(Path(args.import_one[0]), Path(args.import_one[1]))))
        return
    print(f"load average before the runs: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"{'file':<6}{'households':>11}{'persons':>9}{'file MB':>9}{'read s':>8}"
        f"{'check s':>9}{'store s':>9}{'total s':>9}{'cpu s':>7}{'workers s':>10}"
        f"{'data MB':>9}{'peak MB':>9}"
    )
    for size in (int(n) for n in args.households.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            for path in write_files(Path(tmp), size, args.formats.split(",")):
                # Each import in a fresh process, so that its time and memory are its own.
                folder = Path(tmp) / f"data-{path.suffix[1:]}"
                child = subprocess.run(
                    [sys.executable, __file__, "--import-one", str(path), str(folder)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                result = json.loads(child.stdout.strip().splitlines()[-1])
                print(
                    f"{path.suffix[1:]:<6}{result['households']:>11}{result['persons']:>9}"
                    f"{path.stat().st_size / 1e6:>9.1f}{result['read']:>8.1f}"
                    f"{result['check']:>9.1f}{result['store']:>9.1f}{result['total']:>9.1f}"
                    f"{result['cpu']:>7.1f}{result['workers']:>10.1f}{result['data_mb']:>9.1f}"
                    f"{result['peak_mb']:>9.0f}"
                )
                if result["rejected"]:
                    print(f"  ({result['rejected']} households rejected)")
    print(
        "Times are wall-clock seconds from reading the file to the last fsync (data folder with\n"
        "fsync on). cpu s is the importing process's CPU time, workers s the CPU time of the\n"
        "worker processes that validate households in parallel; peak MB is the largest\n"
        "resident size of either. On a busy machine the wall-clock figures grow with the load."
    )


if __name__ == "__main__":
    main()
