//! Writes `ui/src/bindings/commands.ts`: one typed wrapper per command of `commands/`, read
//! from the Rust source itself (names, argument names and types, result types), so the
//! window cannot call a command by a wrong name, with a wrong argument or expecting a wrong
//! result without `tsc` saying so. Run by `make bindings`, checked for drift by `make check`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use mindpal_core::directory::cache::camel;
use syn::{FnArg, GenericArgument, Item, Pat, PathArguments, ReturnType, Type};

/// One command: its name and its arguments as the window passes them.
struct Command {
    name: String,
    docs: Vec<String>,
    args: Vec<(String, Arg)>,
    result: String,
}

enum Arg {
    Value(String),
    /// A `Channel<T>`: the wrapper takes a callback of `T` and makes the channel.
    Channel(String),
}

/// The TypeScript of a Rust type, collecting the names to import.
fn ts(ty: &Type, imports: &mut BTreeSet<String>) -> String {
    match ty {
        Type::Reference(r) => ts(&r.elem, imports),
        Type::Tuple(t) if t.elems.is_empty() => "null".into(),
        Type::Path(p) => {
            let last = p.path.segments.last().expect("a type has a name");
            let name = last.ident.to_string();
            let generics: Vec<String> = match &last.arguments {
                PathArguments::AngleBracketed(a) => a
                    .args
                    .iter()
                    .filter_map(|g| match g {
                        GenericArgument::Type(t) => Some(ts(t, imports)),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            match name.as_str() {
                // chrono writes dates as ISO 8601 text (`2026-12-08`).
                "String" | "str" | "PathBuf" | "Id" | "NaiveDate" => "string".into(),
                "bool" => "boolean".into(),
                "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "f32"
                | "f64" => "number".into(),
                "Option" => format!("{} | null", generics[0]),
                "Vec" => format!("Array<{}>", generics[0]),
                "Result" => generics[0].clone(),
                _ => {
                    imports.insert(name.clone());
                    if generics.is_empty() {
                        name
                    } else {
                        format!("{name}<{}>", generics.join(", "))
                    }
                }
            }
        }
        other => panic!("no TypeScript for {}", quote_type(other)),
    }
}

fn quote_type(ty: &Type) -> String {
    match ty {
        Type::Path(p) => p
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect::<Vec<_>>()
            .join("::"),
        _ => "an unnamed type".into(),
    }
}

fn commands_of(source: &str, imports: &mut BTreeSet<String>) -> Vec<Command> {
    let file = syn::parse_file(source).expect("the command file parses");
    let mut out = Vec::new();
    for item in file.items {
        let Item::Fn(f) = item else { continue };
        if !f.attrs.iter().any(|a| {
            a.path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "command")
        }) {
            continue;
        }
        let docs = f
            .attrs
            .iter()
            .filter_map(|a| match &a.meta {
                syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => Some(s.value().trim().to_owned()),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        let mut args = Vec::new();
        for input in &f.sig.inputs {
            let FnArg::Typed(t) = input else { continue };
            let Pat::Ident(id) = &*t.pat else { continue };
            let type_name = quote_type(&t.ty);
            // What Tauri injects itself.
            if ["AppHandle", "State", "Window", "Webview"]
                .iter()
                .any(|s| type_name.ends_with(s))
            {
                continue;
            }
            let name = camel(&id.ident.to_string());
            let arg = match &*t.ty {
                Type::Path(p) if p.path.segments.last().expect("named").ident == "Channel" => {
                    let PathArguments::AngleBracketed(a) =
                        &p.path.segments.last().expect("named").arguments
                    else {
                        panic!("Channel without its message type")
                    };
                    let Some(GenericArgument::Type(message)) = a.args.first() else {
                        panic!("Channel without its message type")
                    };
                    Arg::Channel(ts(message, imports))
                }
                ty => Arg::Value(ts(ty, imports)),
            };
            args.push((name, arg));
        }
        let result = match &f.sig.output {
            ReturnType::Default => "null".into(),
            ReturnType::Type(_, ty) => ts(ty, imports),
        };
        out.push(Command {
            name: f.sig.ident.to_string(),
            docs,
            args,
            result,
        });
    }
    out
}

/// The whole `commands.ts` for the command files under `dir`.
pub fn generate(dir: &Path) -> String {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("the commands folder")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    let mut imports = BTreeSet::new();
    let mut commands = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).expect("the command file reads");
        commands.extend(commands_of(&source, &mut imports));
    }
    let mut ts_out = String::from(
        "// Generated from src-tauri/src/commands by `make bindings`: do not edit.\n\
         // One wrapper per command, with the argument and result types of its Rust signature.\n\
         import { Channel, invoke } from \"@tauri-apps/api/core\";\n",
    );
    for name in imports.iter().filter(|n| *n != "UiError") {
        writeln!(ts_out, "import type {{ {name} }} from \"./{name}\";").expect("write");
    }
    for c in &commands {
        ts_out.push('\n');
        if !c.docs.is_empty() {
            writeln!(ts_out, "/** {} */", c.docs.join(" ")).expect("write");
        }
        let params: Vec<String> = c
            .args
            .iter()
            .map(|(n, a)| match a {
                Arg::Value(t) => format!("{n}: {t}"),
                Arg::Channel(t) => format!("{n}: (message: {t}) => void"),
            })
            .collect();
        let mut body = String::new();
        let mut passed = Vec::new();
        for (n, a) in &c.args {
            match a {
                Arg::Value(_) => passed.push(n.clone()),
                Arg::Channel(t) => {
                    writeln!(
                        body,
                        "  const {n}Channel = new Channel<{t}>();\n  {n}Channel.onmessage = {n};"
                    )
                    .expect("write");
                    passed.push(format!("{n}: {n}Channel"));
                }
            }
        }
        let call_args = if passed.is_empty() {
            String::new()
        } else {
            format!(", {{ {} }}", passed.join(", "))
        };
        writeln!(
            ts_out,
            "export function {}({}): Promise<{}> {{\n{body}  return invoke<{}>(\"{}\"{call_args});\n}}",
            camel(&c.name),
            params.join(", "),
            c.result,
            c.result,
            c.name
        )
        .expect("write");
    }
    ts_out
}

#[cfg(test)]
mod tests {
    /// Named so that `make bindings` (which runs the `export_bindings` tests) writes it.
    #[test]
    fn export_bindings_commands() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/commands");
        let out = std::env::var("TS_RS_EXPORT_DIR").expect("TS_RS_EXPORT_DIR is set by .cargo");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(
            std::path::Path::new(&out).join("commands.ts"),
            super::generate(&dir),
        )
        .unwrap();
    }

    #[test]
    fn every_command_is_generated_with_its_types() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/commands");
        let ts = super::generate(&dir);
        assert!(ts.contains("export function findUsers(name: string, search: UserSearch, after: string | null, fromReplica: boolean): Promise<Page<UserRow>>"), "{ts}");
        assert!(
            ts.contains("onEvent: (message: BackupProgress) => void"),
            "{ts}"
        );
        assert!(
            ts.contains("invoke<Array<ProfileView>>(\"list_profiles\")"),
            "{ts}"
        );
        assert!(
            !ts.contains("AppState"),
            "injected arguments are not the window's"
        );
    }
}
