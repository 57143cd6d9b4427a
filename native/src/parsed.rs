//! What one of the line parsers (`control.rs`, `ops.rs`, `audit.rs`) made of a
//! message: its event's fields, or why the core builds no event for it.

/// A parser's answer on one message: `T` is its event's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<T> {
    /// The line's event, as Python's parser would build it.
    Event(T),
    /// A line Python reports as unparsed, with Python's reason.
    Unparsed(&'static str),
    /// Python must decide (IPv6, Unicode tables, unbounded integers).
    Defer,
    /// Not this log's line (Python returns None).
    Other,
}

impl<T> Parsed<T> {
    /// The event, if any.
    pub fn event(self) -> Option<T> {
        match self {
            Parsed::Event(t) => Some(t),
            _ => None,
        }
    }

    /// The same answer with the event turned into another value by `f`.
    pub fn try_map<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Parsed<U>, E> {
        Ok(match self {
            Parsed::Event(t) => Parsed::Event(f(t)?),
            Parsed::Unparsed(reason) => Parsed::Unparsed(reason),
            Parsed::Defer => Parsed::Defer,
            Parsed::Other => Parsed::Other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_the_event_only() {
        let double = |n: i32| Ok::<_, ()>(n * 2);
        assert_eq!(Parsed::Event(2).try_map(double), Ok(Parsed::Event(4)));
        assert_eq!(
            Parsed::Unparsed("x").try_map(double),
            Ok(Parsed::Unparsed("x"))
        );
        assert_eq!(Parsed::Defer.try_map(double), Ok(Parsed::Defer));
        assert_eq!(Parsed::Other.try_map(double), Ok(Parsed::Other));
        assert_eq!(Parsed::Event(1).try_map(|_| Err::<i32, _>("no")), Err("no"));
        assert_eq!(
            (Parsed::Event(1).event(), Parsed::<i32>::Defer.event()),
            (Some(1), None)
        );
    }
}
