"""Which lexical index the cluster profile shares: bm25s snapshots or Postgres full text?

Quality: nDCG@10 on the SciFact test split (each abstract one chunk) for the product's
`LexicalIndex` (bm25s + the project tokenizer) and for Postgres full-text search
(`to_tsvector('english')`, a GIN index, the query's lexemes OR-ed, ranked by `ts_rank_cd`
and by `ts_rank`: AND-ed lexemes would find almost nothing for a sentence-long question).
Latency: the test queries against the corpus repeated to `--chunks` chunks (ids made
distinct), top 40 (the retriever's candidate depth), p50/p95 per query. Postgres is a real
server (initdb into a temp dir), measured over loopback from this process.

    .venv/bin/python bench/lexical_backends.py [--chunks 100000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text

from assistant.retrieval.lexical import LexicalIndex, StoredChunk
from bench.beir import DATA, mean_ndcg, read_jsonl, read_qrels
from tests.cluster.servers import postgres

DEPTH = 40


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def corpus(copies: int) -> tuple[list[str], list[str]]:
    docs = read_jsonl(DATA / "corpus.jsonl")
    ids, texts = [], []
    for n in range(copies):
        for doc in docs:
            ids.append(doc["_id"] if n == 0 else f"{doc['_id']}~{n}")
            texts.append(f"{doc['title']} {doc['text']}".strip())
    return ids, texts


def bm25s_run(
    ids: list[str], texts: list[str], queries: dict[str, str]
) -> tuple[dict[str, list[str]], list[float], float]:
    started = time.perf_counter()
    index = LexicalIndex.build([StoredChunk(i, "", {}) for i in ids], texts)
    built = time.perf_counter() - started
    rankings, times = {}, []
    for query_id, query in queries.items():
        started = time.perf_counter()
        hits = index.search(query, DEPTH)
        times.append(time.perf_counter() - started)
        rankings[query_id] = [chunk.id.split("~")[0] for chunk, _ in hits]
    return rankings, times, built


def postgres_run(
    url: str, ids: list[str], texts: list[str], queries: dict[str, str], rank: str
) -> tuple[dict[str, list[str]], list[float], float]:
    engine = create_engine(url)
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(text("drop table if exists chunks"))
        connection.execute(
            text(
                "create table chunks (id text primary key, body text, "
                "tsv tsvector generated always as (to_tsvector('english', body)) stored)"
            )
        )
        rows = [{"id": i, "body": t} for i, t in zip(ids, texts, strict=True)]
        for start in range(0, len(rows), 5000):
            connection.execute(
                text("insert into chunks (id, body) values (:id, :body)"),
                rows[start : start + 5000],
            )
        connection.execute(text("create index chunks_tsv on chunks using gin (tsv)"))
        connection.execute(text("analyze chunks"))
    built = time.perf_counter() - started
    query_sql = text(
        f"""
        with q as (select replace(plainto_tsquery('english', :query)::text, ' & ', ' | ')
                   as expr)
        select id from chunks, q
        where expr <> '' and tsv @@ to_tsquery('english', expr)
        order by {rank}(tsv, to_tsquery('english', expr)) desc limit {DEPTH}
        """
    )
    rankings, times = {}, []
    with engine.connect() as connection:
        for query_id, query in queries.items():
            started = time.perf_counter()
            found = connection.execute(query_sql, {"query": query}).scalars().all()
            times.append(time.perf_counter() - started)
            rankings[query_id] = [i.split("~")[0] for i in found]
    engine.dispose()
    return rankings, times, built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--only", nargs="*", help="backend names to run (default: all)")
    args = parser.parse_args()
    qrels = read_qrels(DATA / "qrels" / "test.tsv")
    every = {q["_id"]: q["text"] for q in read_jsonl(DATA / "queries.jsonl")}
    queries = {q: every[q] for q in qrels}
    base_ids, base_texts = corpus(1)
    copies = max(1, round(args.chunks / len(base_ids)))
    big_ids, big_texts = corpus(copies)
    print(
        f"SciFact test: {len(queries)} queries; quality on {len(base_ids)} chunks, "
        f"latency on {len(big_ids)} chunks (top {DEPTH})"
    )
    with postgres() as url:
        runs = {
            "bm25s": lambda i, t: bm25s_run(i, t, queries),
            "postgres-ts_rank_cd": lambda i, t: postgres_run(url, i, t, queries, "ts_rank_cd"),
            "postgres-ts_rank": lambda i, t: postgres_run(url, i, t, queries, "ts_rank"),
        }
        for name, run in runs.items():
            if args.only and name not in args.only:
                continue
            rankings, _, _ = run(base_ids, base_texts)
            quality = mean_ndcg(rankings, qrels)
            _, times, built = run(big_ids, big_texts)
            p50, p95 = percentile(times, 0.5) * 1000, percentile(times, 0.95) * 1000
            print(
                f"{name:22s} ndcg@10={quality:.3f}  at {len(big_ids)} chunks: "
                f"p50={p50:.1f}ms p95={p95:.1f}ms build={built:.0f}s",
                flush=True,
            )


if __name__ == "__main__":
    main()
