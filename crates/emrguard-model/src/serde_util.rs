//! Serde helpers shared by the model types.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// Treats an explicit `null` like a missing field (kubectl prints `"rules": null`).
pub(crate) fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// [`null_default`] for a list, trimmed to its length: a list read without a size hint grows
/// to room for at least four, and the inventory keeps hundreds of thousands of short lists
/// (a pod's containers, their variables, its owner references).
pub(crate) fn null_default_vec<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let mut list = Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default();
    list.shrink_to_fit();
    Ok(list)
}

/// One value or a list of values, as IAM and some AWS shapes allow. `null` is an empty list.
///
/// A visitor rather than an untagged enum: an untagged enum buffers every value (a whole
/// policy's statements) before deserialising it a second time.
pub(crate) fn one_or_many<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_any(OneOrManyVisitor::new(true))
}

/// [`one_or_many`] where `null` is an error, as it is for an IAM condition value.
pub(crate) fn one_or_many_non_null<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_any(OneOrManyVisitor::new(false))
}

struct OneOrManyVisitor<T> {
    null_is_empty: bool,
    item: PhantomData<T>,
}

impl<T> OneOrManyVisitor<T> {
    fn new(null_is_empty: bool) -> Self {
        Self {
            null_is_empty,
            item: PhantomData,
        }
    }

    fn one<'de, E: de::Error>(value: impl IntoDeserializer<'de, E>) -> Result<Vec<T>, E>
    where
        T: Deserialize<'de>,
    {
        T::deserialize(value.into_deserializer()).map(|one| vec![one])
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrManyVisitor<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value or a list of values")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Vec<T>, E> {
        if self.null_is_empty {
            Ok(Vec::new())
        } else {
            Err(E::invalid_type(de::Unexpected::Unit, &self))
        }
    }

    fn visit_none<E: de::Error>(self) -> Result<Vec<T>, E> {
        self.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<T>, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut all = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(value) = seq.next_element()? {
            all.push(value);
        }
        // Kept for as long as the inventory: no room for more.
        all.shrink_to_fit();
        Ok(all)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Vec<T>, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|one| vec![one])
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Vec<T>, E> {
        Self::one(de::value::BorrowedStrDeserializer::new(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<T>, E> {
        Self::one(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Vec<T>, E> {
        Self::one(v)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Vec<T>, E> {
        Self::one(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Vec<T>, E> {
        Self::one(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Vec<T>, E> {
        Self::one(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Vec<T>, E> {
        Self::one(v)
    }
}

#[cfg(test)]
mod tests {
    use crate::k8s::Pod;
    use crate::policy::PolicyDocument;

    #[test]
    fn kept_lists_have_no_spare_room() {
        let pod: Pod = serde_json::from_str(
            r#"{"metadata": {"name": "p", "ownerReferences": [{"kind": "Job", "name": "j"}]},
                "spec": {"containers": [{"name": "c", "args": ["a"], "env": [{"name": "A", "value": "1"}]}],
                         "volumes": null}}"#,
        )
        .unwrap();
        assert_eq!(pod.metadata.owner_references.capacity(), 1);
        assert_eq!(pod.spec.containers.capacity(), 1);
        assert_eq!(pod.spec.containers[0].env.capacity(), 1);
        assert_eq!(pod.spec.containers[0].args.capacity(), 1);
        assert!(pod.spec.volumes.is_empty());
        let policy: PolicyDocument = serde_json::from_str(
            r#"{"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"}]}"#,
        )
        .unwrap();
        assert_eq!(policy.statements.capacity(), 1);
        let actions = policy.statements[0].action.as_ref().unwrap();
        assert_eq!(actions.capacity(), 2);
    }
}
