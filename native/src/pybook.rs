//! `kerio_watch._native.AddressBook`: [`Book`] with the methods of Python's
//! `kerio_watch.values.addresses.AddressBook`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::book::{Book, key_of_cached};

/// The key of a Python string: its UTF-8 bytes, or (lone surrogates) what
/// `str.encode("utf-8", "replace")` gives, as Python's `address_key` does.
pub(crate) fn key_of_str(address: &Bound<'_, PyString>) -> PyResult<i64> {
    match address.to_str() {
        Ok(text) => Ok(key_of_cached(text.as_bytes())),
        Err(_) => {
            let data = address.call_method1("encode", ("utf-8", "replace"))?;
            Ok(key_of_cached(data.cast::<PyBytes>()?.as_bytes()))
        }
    }
}

/// Pairs from any iterable of two-item sequences of integers (lists from JSON).
fn pairs_of(pairs: &Bound<'_, PyAny>) -> PyResult<Vec<(i64, i64)>> {
    let mut out = Vec::new();
    for item in pairs.try_iter()? {
        let pair: Vec<i64> = item?.extract()?;
        match pair[..] {
            [key, ts] => out.push((key, ts)),
            _ => {
                return Err(PyValueError::new_err(
                    "an address book pair is [key, last seen]",
                ));
            }
        }
    }
    Ok(out)
}

/// `address_key(address)`: the key the books keep an address by.
#[pyfunction]
pub fn address_key(address: &Bound<'_, PyString>) -> PyResult<i64> {
    key_of_str(address)
}

/// An address book (address -> last seen, by key), bounded to `limit` addresses.
#[pyclass(module = "kerio_watch._native", name = "AddressBook")]
pub struct PyBook {
    book: Book,
}

impl PyBook {
    /// `see` by the address's key (the core's own callers: `pylearn.rs`).
    pub(crate) fn see_key(&mut self, key: i64, ts: i64) -> bool {
        self.book.see(key, ts)
    }
}

#[pymethods]
impl PyBook {
    #[new]
    fn new(limit: usize) -> Self {
        Self {
            book: Book::new(limit),
        }
    }

    #[getter]
    fn limit(&self) -> usize {
        self.book.limit
    }

    fn __contains__(&self, address: &Bound<'_, PyAny>) -> PyResult<bool> {
        match address.cast::<PyString>() {
            Ok(text) => Ok(self.book.contains(key_of_str(text)?)),
            Err(_) => Ok(false),
        }
    }

    fn __len__(&self) -> usize {
        self.book.len()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        if !other.hasattr("dump")? {
            return Ok(false);
        }
        let theirs = pairs_of(&other.call_method0("dump")?)?;
        Ok(theirs == self.book.dump())
    }

    fn __repr__(&self) -> String {
        format!("AddressBook({} addresses)", self.book.len())
    }

    /// Note `address` at log time `ts`; whether it was in the book before.
    fn see(&mut self, address: &Bound<'_, PyString>, ts: i64) -> PyResult<bool> {
        Ok(self.book.see(key_of_str(address)?, ts))
    }

    /// `(key, last seen)` pairs sorted by key (the saved form).
    fn dump(&self) -> Vec<(i64, i64)> {
        self.book.dump()
    }

    /// Add saved `[key, last seen]` pairs (then trimmed to the limit).
    fn load(&mut self, pairs: &Bound<'_, PyAny>) -> PyResult<()> {
        self.book.load(pairs_of(pairs)?);
        Ok(())
    }
}
