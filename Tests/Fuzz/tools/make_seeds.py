#!/usr/bin/env python3
"""Builds Tests/Fuzz/corpus from small slices of the public datasets (ML-100K, the S3-Rec
Beauty files) and the SeqRecTests fixtures. Run once by hand; the output is committed.

usage: make_seeds.py RAW_DATA_FOLDER TIMIREC_BINARY FUZZ_READERS_BINARY
RAW_DATA_FOLDER holds ml-100k/ (u.data, u.item, u.genre) and beauty/ (Beauty.txt,
item_titles.tsv, Beauty_item2attributes.json, datamaps.json)."""
import gzip, json, os, shutil, subprocess, sys, tempfile

raw, timirec, fuzz_readers = sys.argv[1:4]
here = os.path.dirname(os.path.abspath(__file__))
corpus = os.path.join(here, "..", "corpus")
fixtures = os.path.join(here, "..", "..", "SeqRecTests", "Fixtures")
shutil.rmtree(corpus, ignore_errors=True)

def put(harness, name, data):
    folder = os.path.join(corpus, harness)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def read(path):
    with open(path, "rb") as f:
        return f.read()

def lines_slice(data, start_line, max_bytes):
    """Whole lines from start_line on, at most max_bytes."""
    lines = data.split(b"\n")[start_line:]
    out = b""
    for line in lines:
        if len(out) + len(line) + 1 > max_bytes:
            break
        out += line + b"\n"
    return out

def fx(*parts):
    return read(os.path.join(fixtures, *parts))

udata = read(os.path.join(raw, "ml-100k", "u.data"))
uitem = read(os.path.join(raw, "ml-100k", "u.item"))
ugenre = read(os.path.join(raw, "ml-100k", "u.genre"))
beauty = read(os.path.join(raw, "beauty", "Beauty.txt"))
titles = read(os.path.join(raw, "beauty", "item_titles.tsv"))
attributes = json.loads(read(os.path.join(raw, "beauty", "Beauty_item2attributes.json")))
datamaps = json.loads(read(os.path.join(raw, "beauty", "datamaps.json")))

# Raw sources.
put("movielens-ratings", "u.data-head", lines_slice(udata, 0, 3000))
put("movielens-ratings", "u.data-middle", lines_slice(udata, 50000, 3000))
put("movielens-ratings", "u.data-crlf", lines_slice(udata, 90000, 2000).replace(b"\n", b"\r\n"))
put("movielens-ratings", "ratings.dat-fixture", fx("ml1m", "ratings.dat"))
put("movielens-ratings", "ratings.dat-from-u.data",
    b"\n".join(b"::".join(l.split(b"\t")) for l in lines_slice(udata, 20000, 2500).splitlines()) + b"\n")
put("movielens-items", "u.item-head", lines_slice(uitem, 0, 3000))
put("movielens-items", "u.item-middle", lines_slice(uitem, 800, 3000))
put("movielens-items", "u.item-fixture", fx("ml100k", "u.item"))
put("movielens-items", "movies.dat-fixture", fx("ml1m", "movies.dat"))
put("movielens-genres", "u.genre", ugenre)
put("movielens-genres", "u.genre-fixture", fx("ml100k", "u.genre"))
put("movielens-genres", "u.genre-crlf-reordered", b"\r\n".join(reversed(ugenre.strip().split(b"\n"))) + b"\r\n")

put("sequences", "Beauty-head.txt", lines_slice(beauty, 0, 3000))
put("sequences", "Beauty-middle.txt", lines_slice(beauty, 10000, 3000))
put("sequences", "Beauty-tail-tabs-crlf.txt", lines_slice(beauty, 22300, 2000).replace(b" ", b"\t").replace(b"\n", b"\r\n"))
put("sequences", "tiny-fixture.txt", fx("sequences", "tiny.txt"))

put("titles-tsv", "item_titles-head.tsv", lines_slice(titles, 0, 3000))
put("titles-tsv", "item_titles-middle.tsv", titles.split(b"\n")[0] + b"\n" + lines_slice(titles, 5000, 3000))
put("titles-tsv", "titles-no-header.tsv", lines_slice(titles, 9000, 2000))
put("titles-tsv", "titles-fixture.tsv", fx("sequences", "titles.tsv"))

def attribute_pair(items):
    sub = {k: attributes[k] for k in items}
    used = sorted({a for v in sub.values() for a in v})
    dm = {"id2attribute": {str(a): datamaps["id2attribute"].get(str(a), "") for a in used}}
    if "attributeid2num" in datamaps:
        dm["attributeid2num"] = {str(a): datamaps["attributeid2num"].get(str(a), 0) for a in used}
    return json.dumps(sub).encode() + b"\0" + json.dumps(dm, indent=1).encode()

keys = list(attributes.keys())
put("s3rec-attributes", "beauty-first-items", attribute_pair(keys[:25]))
put("s3rec-attributes", "beauty-later-items", attribute_pair(keys[5000:5030]))
put("s3rec-attributes", "fixture", fx("sequences", "item2attributes.json") + b"\0" + fx("sequences", "datamaps.json"))

# Amazon-style review and metadata lines (real Beauty sequences and titles, made-up reviewer
# ids and times: no raw Amazon file is kept here).
title_rows = [l.split(b"\t") for l in titles.split(b"\n")[1:200] if l.count(b"\t") >= 2]
def reviews(seq_start, count, python_literal=False):
    out = []
    for n, line in enumerate(beauty.split(b"\n")[seq_start:seq_start + count]):
        ids = line.split()
        for k, item in enumerate(ids[1:]):
            rec = {"reviewerID": "A%013d" % int(ids[0]), "asin": "B%09d" % int(item), "overall": float(1 + (k % 5)),
                   "reviewText": "ok", "unixReviewTime": 1380000000 + 86400 * (k + n)}
            out.append(repr(rec) if python_literal else json.dumps(rec))
    return ("\n".join(out) + "\n").encode()
put("amazon-reviews", "reviews-strict-json", reviews(0, 4))
put("amazon-reviews", "reviews-python-literal", reviews(300, 4, python_literal=True))
put("amazon-reviews", "reviews-fixture", fx("amazon", "reviews.json"))
put("amazon-gzip", "reviews-strict-json.gz", gzip.compress(reviews(0, 4), mtime=0))
put("amazon-gzip", "reviews-python-literal.gz", gzip.compress(reviews(300, 4, python_literal=True), mtime=0))
put("amazon-gzip", "reviews-fixture.gz", fx("amazon", "reviews.json.gz"))
put("amazon-gzip", "plain-fixture.json", fx("amazon", "reviews.json"))
def meta(rows, python_literal, style2018=False):
    out = []
    for r in rows:
        rec = {"asin": r[1].decode(errors="replace"), "title": r[2].decode(errors="replace")}
        if style2018:
            rec["category"] = ["Beauty", "Skin Care"]
        else:
            rec["categories"] = [["Beauty", "Makeup", "Face"], ["Beauty", "Tools & Accessories"]]
            rec["salesRank"] = {"Beauty": 1000 + len(out)}
        out.append(repr(rec) if python_literal else json.dumps(rec))
    return ("\n".join(out) + "\n").encode()
put("amazon-metadata", "meta-2014-python-literal", meta(title_rows[:20], True))
put("amazon-metadata", "meta-2018-json", meta(title_rows[20:40], False, style2018=True))
put("amazon-metadata", "meta-fixture", fx("amazon", "meta.json"))

# Prepared folders, made by `timirec prepare` from slices.
work = tempfile.mkdtemp()
def prepare(source, input_bytes, input_name, negatives, extra=()):
    path = os.path.join(work, input_name)
    with open(path, "wb") as f:
        f.write(input_bytes)
    out = os.path.join(work, "out-" + input_name)
    subprocess.run([timirec, "prepare", source, "--input", path, "--output", out, "--negatives", str(negatives), *extra],
                   check=True, stdout=subprocess.DEVNULL)
    return {n: read(os.path.join(out, n)) for n in os.listdir(out)}
def folder_seed(files, parts=("train.csv", "dev.csv", "test.csv", "items.tsv", "dataset.json")):
    return b"\0".join(files[p] for p in parts if p in files)

with open(os.path.join(work, "u.item"), "wb") as f:
    f.write(uitem)
ml = prepare("movielens", lines_slice(udata, 0, 1800), "u.data", 8)
bt = prepare("sequences", lines_slice(beauty, 0, 300), "Beauty.txt", 6,
             ("--titles", os.path.join(raw, "beauty", "item_titles.tsv")))
put("rechorus-folder", "ml-100k-slice", folder_seed(ml))
put("rechorus-folder", "beauty-slice", folder_seed(bt))
put("rechorus-folder", "tiny-fixture", folder_seed({p: fx("rechorus-tiny", p) for p in ("train.csv", "dev.csv", "test.csv")}))
crlf = {p: v.replace(b"\n", b"\r\n") for p, v in bt.items() if p.endswith(".csv")}
crlf["train.csv"] = b"\xef\xbb\xbf" + crlf["train.csv"]
put("rechorus-folder", "beauty-crlf-bom", folder_seed(crlf))
put("items-tsv", "ml-100k-items.tsv", ml["items.tsv"])
put("items-tsv", "beauty-items.tsv", bt["items.tsv"])
put("items-tsv", "extra-column.tsv", b"item_id\tcategory\tyear\ttitle\n" + b"\n".join(
    b"%d\tDrama|Comedy\t199%d\tMovie %d (199%d)" % (i, i % 10, i, i % 10) for i in range(1, 60)) + b"\n")
put("dataset-json", "ml-100k-slice.json", ml["dataset.json"])
put("dataset-json", "beauty-slice.json", bt["dataset.json"])
shutil.copy(os.path.join("/work/data/ml-100k/dataset.json"), os.path.join(corpus, "dataset-json", "ml-100k.json")) \
    if os.path.exists("/work/data/ml-100k/dataset.json") else None
shutil.rmtree(work)

# Checkpoint files.
subprocess.run([fuzz_readers, "--write-generated-seeds", corpus], check=True)
put("checkpoint-config", "format1-fixture.json", fx("format1-checkpoint", "config.json"))
imported = json.loads(read(os.path.join(corpus, "checkpoint-config", "imported-pretrain.json")))
trained = dict(imported)
del trained["importedFrom"]
trained.update({"training": {"batchSize": 256, "evalBatchSize": 256, "l2": 0, "learningRate": 0.001, "maxEpochs": 200,
                             "seed": 0, "threads": 2},
                "bestEpoch": 7, "bestDev": {"HR@5": 0.4, "NDCG@5": 0.3}, "initializedFrom": "runs/pre"})
put("checkpoint-config", "trained-format2.json", json.dumps(trained, indent=2, sort_keys=True))
trained1 = dict(trained)
trained1["formatVersion"] = 1
del trained1["model"]
put("checkpoint-config", "trained-format1-no-model.json", json.dumps(trained1, indent=2, sort_keys=True))
put("resume-json", "running.json", json.dumps({"adamSteps": 5520, "devHistory": [0.21, 0.25, 0.27, 0.281, 0.279, 0.283],
                                               "epochsDone": 6, "finished": False, "seconds": 412.5}, indent=2, sort_keys=True))
put("resume-json", "finished.json", json.dumps({"adamSteps": 23000, "devHistory": [0.1 + 0.01 * i for i in range(25)],
                                                "epochsDone": 25, "finished": True, "seconds": 1834.25}, indent=2, sort_keys=True))
put("resume-json", "first-epoch.json", json.dumps({"adamSteps": 384, "devHistory": [0.1234], "epochsDone": 1,
                                                   "finished": False, "seconds": 9.75}))
for f in ("tiny-pretrain", "tiny-finetune-L1-bf16"):
    put("safetensors-model", f + ".safetensors", fx(f + ".safetensors"))
for f in ("tiny-pretrain", "tiny-finetune-L1", "tiny-finetune-L1-bf16", "tiny-finetune-L2"):
    put("import-architecture", f + ".safetensors", fx(f + ".safetensors"))
# A DistributedDataParallel-style file: every name prefixed "module.".
data = fx("tiny-pretrain.safetensors")
n = int.from_bytes(data[:8], "little")
header = json.loads(data[8:8 + n])
header = {("module." + k if k != "__metadata__" else k): v for k, v in header.items()}
hb = json.dumps(header).encode()
hb += b" " * ((8 - len(hb) % 8) % 8)
put("import-architecture", "module-prefixed.safetensors", len(hb).to_bytes(8, "little") + hb + data[8 + n:])
put("safetensors-optimizer", "tiny-pretrain-as-optimizer.safetensors", fx("tiny-pretrain.safetensors"))
put("safetensors-optimizer", "bf16-finetune.safetensors", fx("tiny-finetune-L1-bf16.safetensors"))

# Benchmark results (results/<dataset>/ of this repository): per-user ranks tables and the
# `evaluate --per-user` lines they were made from, run results, reference.json, and the
# config.json / resume.json of a run's checkpoint. Targets come from the prepared ML-100K
# test.csv when it is at hand (the reader ignores them).
results = os.path.join(here, "..", "..", "..", "results", "ml-100k")
def ranks_rows(run, start, count):
    rows = read(os.path.join(results, "ranks", run + ".tsv")).decode().split("\n")[1:-1]
    return [[int(v) for v in r.split("\t")] for r in rows[start:start + count]], start
def ranks_tsv(run, start, count, catalogue=True):
    rows, _ = ranks_rows(run, start, count)
    head = "user\trank\tcatalogue_rank\n" if catalogue else "user\trank\n"
    return head + "".join("\t".join(map(str, r if catalogue else r[:2])) + "\n" for r in rows)
test_csv = "/work/data/ml-100k/test.csv"
targets = [int(l.split(b"\t")[1]) for l in read(test_csv).split(b"\n")[1:] if l] if os.path.exists(test_csv) else []
def per_user_jsonl(run, start, count, catalogue=True):
    rows, _ = ranks_rows(run, start, count)
    out = ""
    for i, r in enumerate(rows, start):
        target = targets[i] if i < len(targets) else 0
        out += '{"index": %d, "user": %d, "row": %d, "target": %d, "rank": %d' % (i, r[0], i, target, r[1])
        out += (', "catalogue_rank": %d}\n' % r[2]) if catalogue else "}\n"
    return out
put("per-user-ranks", "GRU4Rec-s0-head.tsv", ranks_tsv("GRU4Rec-s0", 0, 120))
put("per-user-ranks", "TiMiRec+-s0-middle.tsv", ranks_tsv("TiMiRec+-s0", 400, 120))
put("per-user-ranks", "MIND-s0-sampled-only.tsv", ranks_tsv("MIND-s0", 800, 100, catalogue=False))
put("per-user-ranks", "GRU4Rec-s0-head.jsonl", per_user_jsonl("GRU4Rec-s0", 0, 36))
put("per-user-ranks", "YouTube-s1-sampled-only.jsonl", per_user_jsonl("YouTube-s1", 600, 36, catalogue=False))

def result_json(run):
    return json.loads(read(os.path.join(results, "runs", run + ".json")))
def swift_json(value):
    """JSONEncoder's .prettyPrinted + .sortedKeys layout, as `timirec` writes its JSON."""
    return json.dumps(value, indent=2, sort_keys=True, separators=(",", " : "))
reference = json.loads(read(os.path.join(results, "reference.json")))
def reference_of(*models):
    return {"models": {m: reference["models"][m] for m in models}}
config = {"bestDev": {"HR@5": 0.3478, "NDCG@5": 0.2291}, "bestEpoch": 58,
          "dataset": {"devRows": 943, "itemCount": 1683, "name": "ml-100k", "testRows": 943, "trainRows": 98114,
                      "userCount": 944},
          "formatVersion": 2, "initializedFrom": "runs/ml-100k/ComiRec+-s0", "model": "TiMiRec",
          "modelConfig": {"addPosition": True, "addTransformer": True, "attentionSize": 8, "embeddingSize": 64,
                          "historyMax": 20, "interestCount": 2, "itemCount": 1683, "projectionLayers": 2,
                          "stopGradient": True, "temperature": 0.5},
          "stage": "finetune",
          "training": {"batchSize": 256, "evalBatchSize": 256, "l2": 1e-6, "learningRate": 0.0001, "maxEpochs": 200,
                       "seed": 0, "threads": 1}}
gru_config = {"bestDev": {"HR@5": 0.2566, "NDCG@5": 0.1702}, "bestEpoch": 56, "dataset": config["dataset"],
              "formatVersion": 2, "model": "GRU4Rec",
              "modelConfig": {"embeddingSize": 64, "hiddenSize": 128, "historyMax": 20, "itemCount": 1683},
              "training": {"batchSize": 256, "evalBatchSize": 256, "l2": 1e-4, "learningRate": 0.001, "maxEpochs": 200,
                           "seed": 0, "threads": 2}}
resume = {"adamSteps": 30342, "devHistory": [round(0.2 + 0.002 * i - 0.00003 * i * i, 4) for i in range(78)],
          "epochsDone": 78, "finished": True, "seconds": 1216.8716994524002}
put("benchmark-json", "TiMiRec+-s0.json", swift_json(result_json("TiMiRec+-s0")))
legacy = result_json("GRU4Rec-s0")
legacy["perUser"] = {p: "/runs/ml-100k/eval/GRU4Rec-s0.jsonl" for p in ("all", "sampled")}
legacy["maxEpochs"] = 20
put("benchmark-json", "GRU4Rec-s0-absolute-jsonl-maxEpochs.json", swift_json(legacy))
put("benchmark-json", "reference.json", json.dumps(reference_of("ComiRec", "SASRec", "YouTube"), indent=1, sort_keys=True))
put("benchmark-json", "GRU4Rec-config.json", swift_json(gru_config))
put("benchmark-json", "run-reference-config-resume",
    "\0".join([swift_json(result_json("TiMiRec+-s0")), json.dumps(reference_of("MIND"), indent=1, sort_keys=True),
               swift_json(config), swift_json(resume)]))
