//! The dump's work: primary-key chunks and checksums planned inside the snapshot, run on
//! every connection, each chunk one zstd file.

use super::*;
use futures_util::FutureExt;

impl Dump<'_> {
    /// Chunks by primary-key range (bounds read inside the snapshot), biggest first, and the
    /// `CHECKSUM TABLE`s the policy affords.
    pub(super) async fn plan_work(
        &self,
        dumper: &mut Dumper,
        tables: &[TablePlan],
    ) -> Result<Vec<Work>> {
        let (server, database, options) = (self.server, self.database, self.options);
        let mut work: Vec<(u64, Work)> = Vec::new();
        let chunk_rows = options.chunk_rows.max(1000);
        for (i, t) in tables.iter().enumerate() {
            let checksum = match options.checksum {
                ChecksumPolicy::All => true,
                ChecksumPolicy::None => false,
                ChecksumPolicy::Auto => t.data_bytes <= AUTO_CHECKSUM_BYTES,
            };
            if checksum {
                work.push((t.data_bytes, Work::Checksum { table: i }));
            }
            let chunks = t.rows_estimate.div_ceil(chunk_rows).max(1);
            let bounds = match (&t.chunk_key, chunks > 1) {
                (Some(key), true) => {
                    let sql = format!(
                        "SELECT MIN({k}), MAX({k}) FROM {}.{}",
                        quote_ident(database),
                        quote_ident(&t.name),
                        k = quote_ident(key)
                    );
                    let row = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .fetch_one(&mut dumper.conn)
                        .await
                        .map_err(|e| server.err(e))?;
                    match (cell_text(&row, 0), cell_text(&row, 1)) {
                        (Some(lo), Some(hi)) => lo.parse::<i64>().ok().zip(hi.parse::<i64>().ok()),
                        _ => None,
                    }
                }
                _ => None,
            };
            match bounds {
                Some((lo, hi)) if hi > lo => {
                    let span = (hi as i128 - lo as i128 + 1) as u128;
                    let n = (chunks as u128).min(span);
                    let weight = t.data_bytes / n as u64;
                    for k in 0..n {
                        let low = (lo as i128 + (span * k / n) as i128) as i64;
                        let high = (lo as i128 + (span * (k + 1) / n) as i128) as i64;
                        work.push((
                            weight,
                            Work::Chunk {
                                table: i,
                                index: k as usize,
                                // The first and last chunks are open, so nothing outside the
                                // bounds read is missed.
                                low: (k > 0).then_some(low),
                                high: (k + 1 < n).then_some(high),
                            },
                        ));
                    }
                }
                _ => work.push((
                    t.data_bytes,
                    Work::Chunk {
                        table: i,
                        index: 0,
                        low: None,
                        high: None,
                    },
                )),
            }
        }
        // Longest first keeps the connections busy to the end.
        work.sort_by_key(|w| std::cmp::Reverse(w.0));
        Ok(work.into_iter().map(|(_, w)| w).collect())
    }
}

type Files = Vec<Vec<FileEntry>>;

impl Dump<'_> {
    pub(super) async fn run_work(
        &self,
        tables: &[TablePlan],
        work: &[Work],
        dumpers: &mut [Dumper],
        report: &(dyn Fn(Phase, &Counters) + Sync),
    ) -> Result<(Files, Vec<Option<u64>>)> {
        let counters = &self.counters;
        let next = AtomicUsize::new(0);
        let files: Mutex<Vec<Vec<(usize, FileEntry)>>> = Mutex::new(vec![Vec::new(); tables.len()]);
        let checksums: Mutex<Vec<Option<u64>>> = Mutex::new(vec![None; tables.len()]);
        // Pieces left per table: a table is done when its last one is.
        let left: Vec<AtomicUsize> = (0..tables.len())
            .map(|i| {
                AtomicUsize::new(
                    work.iter()
                        .filter(|w| match w {
                            Work::Chunk { table, .. } | Work::Checksum { table } => *table == i,
                        })
                        .count(),
                )
            })
            .collect();
        let workers = dumpers.iter_mut().map(|d| {
            let (next, files, checksums, left) = (&next, &files, &checksums, &left);
            async move {
                while let Some(item) = work.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let table = match item {
                        Work::Checksum { table } => {
                            let sum = self.checksum_table(&mut d.conn, &tables[*table]).await?;
                            checksums.lock().expect("checksums")[*table] = sum;
                            *table
                        }
                        Work::Chunk {
                            table,
                            index,
                            low,
                            high,
                        } => {
                            let t = &tables[*table];
                            let relative = format!(
                                "{}/{:03}-{}.{:05}.sql.zst",
                                manifest::DATA_DIR,
                                table,
                                file_safe(&t.name),
                                index
                            );
                            let entry = self
                                .dump_chunk(&mut d.conn, t, (*low, *high), relative)
                                .await?;
                            files.lock().expect("files")[*table].push((*index, entry));
                            *table
                        }
                    };
                    if left[table].fetch_sub(1, Ordering::AcqRel) == 1 {
                        counters.tables_done.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok::<(), Error>(())
            }
        });
        crate::backup::join_ticking(workers, || report(Phase::Dumping, counters)).await?;
        let files = files
            .into_inner()
            .expect("files")
            .into_iter()
            .map(|mut v| {
                v.sort_by_key(|(i, _)| *i);
                v.into_iter().map(|(_, f)| f).collect()
            })
            .collect();
        Ok((files, checksums.into_inner().expect("checksums")))
    }
}

fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Dump<'_> {
    pub(super) async fn checksum_table(
        &self,
        conn: &mut MySqlConnection,
        table: &TablePlan,
    ) -> Result<Option<u64>> {
        let (server, options, database, cancel) =
            (self.server, self.options, self.database, self.cancel);
        if !table.engine.eq_ignore_ascii_case("InnoDB") {
            return Ok(None);
        }
        // Inside the snapshot's transaction, CHECKSUM TABLE reads the snapshot's rows.
        let sql = format!(
            "CHECKSUM TABLE {}.{}",
            quote_ident(database),
            quote_ident(&table.name)
        );
        let row = within(&server.info.address, options.idle_timeout, cancel, async {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| server.err(e))
        })
        .await?;
        Ok(cell_text(&row, 1).and_then(|s| s.parse().ok()))
    }

    /// One chunk of a table into its own zstd file, `relative` to the backup folder.
    pub(super) async fn dump_chunk(
        &self,
        conn: &mut MySqlConnection,
        table: &TablePlan,
        (low, high): (Option<i64>, Option<i64>),
        relative: String,
    ) -> Result<FileEntry> {
        let (server, options, database, cancel, counters) = (
            self.server,
            self.options,
            self.database,
            self.cancel,
            &self.counters,
        );
        // The rows as they are, over the binary protocol: rendering is the client's work.
        let mut sql = format!(
            "SELECT {} FROM {}.{}",
            table
                .columns
                .iter()
                .map(|c| quote_ident(c))
                .collect::<Vec<_>>()
                .join(","),
            quote_ident(database),
            quote_ident(&table.name)
        );
        let key = table.chunk_key.as_deref().map(quote_ident);
        match (&key, low, high) {
            (Some(k), Some(_), Some(_)) => sql.push_str(&format!(" WHERE {k} >= ? AND {k} < ?")),
            (Some(k), Some(_), None) => sql.push_str(&format!(" WHERE {k} >= ?")),
            (Some(k), None, Some(_)) => sql.push_str(&format!(" WHERE {k} < ?")),
            _ => {}
        }
        if !table.order_by.is_empty() {
            let order: Vec<String> = table.order_by.iter().map(|c| quote_ident(c)).collect();
            sql.push_str(&format!(" ORDER BY {}", order.join(",")));
        }
        // The head a restore admits, from the same function it checks against.
        let prefix = crate::backup::admit::insert_prefix(&table.name, &table.columns);
        let mut file = ChunkFile::create(self.dir, relative);
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(low) = low {
            query = query.bind(low);
        }
        if let Some(high) = high {
            query = query.bind(high);
        }
        let mut rows = query.fetch(&mut *conn);
        let mut batch: Vec<u8> = Vec::with_capacity(BATCH_BYTES + STATEMENT_BYTES);
        let mut statement_start = 0usize;
        let mut in_statement = false;
        let mut count = 0u64;
        let address = &server.info.address;
        loop {
            // A row already received is taken at once; only a wait gets a timer (one per row was
            // a tenth of the dump's CPU). Idle timeout: a server that stops sending rows fails
            // the chunk, not the operator's night.
            let next = match rows.try_next().now_or_never() {
                Some(next) => next.map_err(|e| server.err(e))?,
                None => {
                    within(address, options.idle_timeout, cancel, async {
                        rows.try_next().await.map_err(|e| server.err(e))
                    })
                    .await?
                }
            };
            let Some(row) = next else { break };
            if in_statement {
                batch.push(b',');
            } else {
                statement_start = batch.len();
                batch.extend_from_slice(prefix.as_bytes());
                in_statement = true;
            }
            batch.push(b'(');
            for (i, render) in table.renders.iter().enumerate() {
                if i > 0 {
                    batch.push(b',');
                }
                // Only a value that has no bytes is NULL (sqlx calls a zero date NULL too).
                let raw: &[u8] = match row.try_get_unchecked(i) {
                    Ok(raw) => raw,
                    Err(_) => {
                        batch.extend_from_slice(b"NULL");
                        continue;
                    }
                };
                render.write(raw, &mut batch).map_err(|what| {
                    server.odd_answer(format!(
                        "`{}`.`{}` sent {what}, which the backup cannot write",
                        table.name, table.columns[i]
                    ))
                })?;
            }
            batch.push(b')');
            count += 1;
            if batch.len() - statement_start >= STATEMENT_BYTES {
                batch.extend_from_slice(b";\n");
                in_statement = false;
                if batch.len() >= BATCH_BYTES {
                    counters
                        .bytes
                        .fetch_add(batch.len() as u64, Ordering::Relaxed);
                    file.send(std::mem::replace(
                        &mut batch,
                        Vec::with_capacity(BATCH_BYTES + STATEMENT_BYTES),
                    ))
                    .await?;
                }
            }
            if count.is_multiple_of(1024) {
                if cancel.is_cancelled() {
                    return Err(Error::Cancelled);
                }
                counters.rows.fetch_add(1024, Ordering::Relaxed);
            }
        }
        drop(rows);
        if in_statement {
            batch.extend_from_slice(b";\n");
        }
        counters.rows.fetch_add(count % 1024, Ordering::Relaxed);
        counters
            .bytes
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        if !batch.is_empty() {
            file.send(batch).await?;
        }
        let entry = file.finish(count).await?;
        counters
            .compressed
            .fetch_add(entry.compressed_bytes, Ordering::Relaxed);
        Ok(entry)
    }
}
