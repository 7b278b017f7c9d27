//! The fixture generator of issue 14: the same contacts written as the exports users'
//! tools write them (Danish Excel in Windows-1252, Norwegian and Swedish exports, Excel's
//! UTF-16 "Unicode text", a US export), and as clean ISO UTF-8 CSV to compare with.
//!
//! Takes a clean `synth` CSV and adds a decimal column (`revenue`, with thousands) so
//! that decimal marks and separators are exercised; every locale writes the same values.

/// A way a tool writes a CSV file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Locale {
    /// The reference: `,`, ISO dates, `1234.5`, yes/no, won/lost, UTF-8.
    Clean,
    /// Danish Excel: `;`, `24-04-2026`, `1.234,5`, ja/nej, vundet/tabt, Danish headers, Windows-1252.
    Danish,
    /// Norwegian: `;`, `24.04.2026`, `1 234,5` (no-break space), ja/nei, vunnet/tapt, UTF-8 with BOM.
    Norwegian,
    /// Swedish: `;`, ISO dates with a time, `1234,5`, ja/nej, vunnen/förlorad, UTF-8.
    Swedish,
    /// Excel "Unicode text": tab-separated, UTF-16LE with a byte-order mark.
    Utf16,
    /// US Excel: `,`, `04/24/2026`, `1,234.5` and `$`, Yes/No, Won/Lost.
    Us,
}

pub const ALL: [Locale; 5] = [Locale::Danish, Locale::Norwegian, Locale::Swedish, Locale::Utf16, Locale::Us];

impl Locale {
    pub fn file_name(self) -> &'static str {
        match self {
            Locale::Clean => "clean.csv",
            Locale::Danish => "danish_excel.csv",
            Locale::Norwegian => "norwegian.csv",
            Locale::Swedish => "swedish.csv",
            Locale::Utf16 => "unicode_text.txt",
            Locale::Us => "us_excel.csv",
        }
    }

    fn delimiter(self) -> u8 {
        match self {
            Locale::Clean | Locale::Us => b',',
            Locale::Utf16 => b'\t',
            _ => b';',
        }
    }

    /// The header a column gets in this locale.
    pub fn header(self, name: &str) -> String {
        let da = [
            ("job_title", "Stilling"),
            ("employees", "Ansatte"),
            ("revenue", "Omsætning (mio. kr.)"),
            ("created_date", "Oprettet"),
            ("last_activity_date", "Seneste aktivitet"),
            ("demo_requested", "Demo ønsket"),
            ("outcome", "Resultat"),
        ];
        match self {
            Locale::Danish => da.iter().find(|(a, _)| *a == name).map_or(name.to_string(), |(_, b)| b.to_string()),
            _ => name.to_string(),
        }
    }
}

fn number(v: &str, locale: Locale) -> String {
    let Ok(x) = v.parse::<f64>() else { return v.to_string() };
    let neg = x < 0.0;
    let s = if v.contains('.') { format!("{:.2}", x.abs()) } else { format!("{}", x.abs()) };
    let (int, frac) = match s.split_once('.') {
        Some((a, b)) => (a.to_string(), Some(b.to_string())),
        None => (s.clone(), None),
    };
    let group = |sep: &str| {
        let b = int.as_bytes();
        let mut out = String::new();
        for (i, c) in b.iter().enumerate() {
            if i > 0 && (b.len() - i) % 3 == 0 {
                out.push_str(sep);
            }
            out.push(*c as char);
        }
        out
    };
    let (int, mark) = match locale {
        Locale::Clean | Locale::Utf16 => (int.clone(), "."),
        Locale::Danish => (group("."), ","),
        Locale::Norwegian => (group("\u{a0}"), ","),
        Locale::Swedish => (int.clone(), ","),
        Locale::Us => (group(","), "."),
    };
    let body = match frac {
        Some(f) => format!("{int}{mark}{f}"),
        None => int,
    };
    format!("{}{body}", if neg { "-" } else { "" })
}

fn date(v: &str, locale: Locale) -> String {
    if v.len() != 10 {
        return v.to_string();
    }
    let (y, m, d) = (&v[0..4], &v[5..7], &v[8..10]);
    match locale {
        Locale::Danish => format!("{d}-{m}-{y}"),
        Locale::Norwegian => format!("{d}.{m}.{y}"),
        Locale::Swedish => format!("{v} 09:30:00"),
        Locale::Us => format!("{m}/{d}/{y}"),
        Locale::Clean | Locale::Utf16 => v.to_string(),
    }
}

fn word(v: &str, locale: Locale) -> String {
    let table: &[(&str, &str)] = match locale {
        Locale::Danish => &[("yes", "ja"), ("no", "nej"), ("won", "vundet"), ("lost", "tabt")],
        Locale::Norwegian => &[("yes", "ja"), ("no", "nei"), ("won", "vunnet"), ("lost", "tapt")],
        Locale::Swedish => &[("yes", "ja"), ("no", "nej"), ("won", "vunnen"), ("lost", "förlorad")],
        Locale::Us => &[("yes", "Yes"), ("no", "No"), ("won", "Won"), ("lost", "Lost")],
        _ => &[],
    };
    table.iter().find(|(a, _)| *a == v).map_or(v.to_string(), |(_, b)| b.to_string())
}

/// The clean file's rows with a `revenue` column (millions, two decimals) added after
/// `employees`: header and rows.
fn with_revenue(clean: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr = csv::ReaderBuilder::new().from_reader(clean.as_bytes());
    let mut header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    let at = header.iter().position(|h| h == "employees").unwrap() + 1;
    header.insert(at, "revenue".into());
    let rows = rdr
        .records()
        .enumerate()
        .map(|(i, r)| {
            let mut r: Vec<String> = r.unwrap().iter().map(String::from).collect();
            let revenue = match r[at - 1].parse::<f64>() {
                // Revenue per employee varies by row, in millions with two decimals.
                Ok(e) => format!("{:.2}", e * (0.35 + (i % 17) as f64 * 0.07)),
                Err(_) => String::new(),
            };
            r.insert(at, revenue);
            r
        })
        .collect();
    (header, rows)
}

/// A clean cell of `column` as `locale` writes it (the column named as in the clean file).
pub fn cell(column: &str, v: &str, locale: Locale) -> String {
    match column {
        "employees" | "revenue" => number(v, locale),
        "created_date" | "last_activity_date" => date(v, locale),
        "demo_requested" | "outcome" => word(v, locale),
        _ => v.to_string(),
    }
}

/// The contacts of the clean `synth` CSV `clean`, written as `locale` writes them
/// (bytes in the locale's encoding).
pub fn write(clean: &str, locale: Locale) -> Vec<u8> {
    let (header, rows) = with_revenue(clean);
    let mut w = csv::WriterBuilder::new().delimiter(locale.delimiter()).from_writer(Vec::new());
    w.write_record(header.iter().map(|h| locale.header(h))).unwrap();
    for r in &rows {
        let cells: Vec<String> = header.iter().zip(r).map(|(h, v)| cell(h, v, locale)).collect();
        w.write_record(&cells).unwrap();
    }
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    match locale {
        Locale::Danish => {
            let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
            assert!(!unmappable);
            // Excel writes CRLF line ends.
            crlf(bytes.into_owned())
        }
        Locale::Norwegian => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        Locale::Utf16 => {
            let mut out = vec![0xFF, 0xFE];
            for u in text.encode_utf16() {
                out.extend_from_slice(&u.to_le_bytes());
            }
            out
        }
        _ => text.into_bytes(),
    }
}

fn crlf(bytes: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 50);
    for b in bytes {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}
