import json

from click.testing import CliRunner

from models.runtime import DEMO_CONFIG
from web.cli.commands.nlp import analyze_command, evaluate_command


def analyze(stdin: bytes, home) -> tuple[int, list[dict]]:
    args = ["--config", str(DEMO_CONFIG), "--home", str(home)]
    result = CliRunner().invoke(analyze_command, args, input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()]


def test_analyze_round_trip(home, model):
    stdin = "\n".join([
        json.dumps({"id": "r-1", "text": "雲雀X5用了兩天就死機，退貨！"}, ensure_ascii=False),
        "物流很快，质量很好，满意",
        "",
        "{not json",
        json.dumps({"id": 7, "title": "no text"}),
        json.dumps("a string"),
        "[赞]好评，很好用",
        json.dumps({"text": "吃出了虫子，要去315曝光"}, ensure_ascii=False),
    ]).encode("utf-8") + b"\n" + "有效".encode("utf-8") + b"\xff\xfe\n" + "最后一行很好用".encode("utf-8")
    code, lines = analyze(stdin, home)
    assert code == 0
    first = lines[0]
    assert first["id"] == "r-1"
    assert first["sentiment"]["label"] == "negative"
    assert first["sentiment"]["model"] == model.version
    assert -1 <= first["sentiment"]["score"] < 0
    assert first["script"] == "zh-Hant" and first["entities"] == ["yunque", "yunque-x5"]
    assert {"id", "sentiment", "topics", "keywords", "script"} <= set(first)
    assert lines[1]["id"] == 2 and lines[1]["sentiment"]["label"] == "positive"
    assert "物流配送" in lines[1]["topics"]
    # Line 3 is blank and skipped; the bad lines are reported where they were.
    assert lines[2]["line"] == 4 and "invalid JSON" in lines[2]["error"] and "id" not in lines[2]
    assert lines[3] == {"id": 7, "line": 5, "error": 'missing "text" (a string)'}
    assert lines[4]["id"] == 6 and lines[4]["sentiment"]["label"] == "neutral"  # plain text
    assert lines[5]["id"] == 7 and lines[5]["sentiment"]["label"] == "positive"  # "[" is text
    assert lines[6]["id"] == 8 and "crisis:315" in lines[6]["flags"]  # no id: the line number
    assert lines[7]["line"] == 9 and "invalid UTF-8" in lines[7]["error"]
    assert lines[8]["id"] == 10 and lines[8]["sentiment"]["label"] == "positive"
    assert len(lines) == 9


def test_analyze_plain_text_with_bom_and_crlf(home):
    code, lines = analyze("\ufeff质量不好\r\n質量很好\r\n".encode("utf-8"), home)
    assert code == 0
    assert [(r["id"], r["sentiment"]["label"], r["script"]) for r in lines] == [
        (1, "negative", "zh-Hans"), (2, "positive", "zh-Hant")]


def test_analyze_with_a_missing_model(home, tmp_path):
    args = ["--config", str(DEMO_CONFIG), "--home", str(home),
            "--model", str(tmp_path / "none.joblib")]
    result = CliRunner().invoke(analyze_command, args, input=b"x\n")
    assert result.exit_code == 1
    assert "none.joblib" in result.stderr and result.stdout == ""


def test_evaluate_on_a_labelled_csv_without_splits(tmp_path):
    data = tmp_path / "labelled.csv"
    data.write_text("text,label\n"
                    "质量很好，物流很快，非常满意,1\n"
                    "用了两天就坏了，客服不理人，差评,0\n"
                    "这一行的标签不对,maybe\n"
                    "\"多行\n的好评，很满意\",positive\n"
                    "太差劲了，退货,negative\n", encoding="utf-8")
    result = CliRunner().invoke(evaluate_command, ["--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "rows: 4" in result.stdout
    assert "macro-F1: 1.0000" in result.stdout and "accuracy: 1.0000" in result.stdout
    assert "negative precision 1.0000  recall 1.0000" in result.stdout
    assert "same label in traditional script: 1.0000" in result.stdout
    assert "all rows (no split column)" in result.stdout
    assert f"{data}:4: unknown label 'maybe'" in result.stderr


def test_evaluate_reports_a_file_without_the_columns(tmp_path):
    data = tmp_path / "wrong.csv"
    data.write_text("content,stars\n好,5\n", encoding="utf-8")
    result = CliRunner().invoke(evaluate_command, ["--data", str(data)])
    assert result.exit_code == 1
    assert f"{data}:1: missing column(s) label, text" in result.stderr


def test_analyze_odd_inputs_each_get_a_label(home):
    long_text = ("物流很快，质量很好。" * 10_000)[:100_000]
    records = [{"id": "empty", "text": ""}, {"id": "long", "text": long_text},
               {"id": "emoji", "text": "👍👍👍"}, {"id": "english", "text": "great phone, love it"}]
    stdin = "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode("utf-8")
    code, lines = analyze(stdin, home)
    assert code == 0
    labels = {line["id"]: line["sentiment"]["label"] for line in lines}
    assert labels == {"empty": "neutral", "long": "positive", "emoji": "positive",
                      "english": "neutral"}
