//! The servers of one deployment as the capabilities take them: the primary, its replicas
//! and its Redis. Profiles describe them; nothing here knows a profile.

use crate::mysql::MysqlTarget;
use crate::redis::RedisTopology;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Servers {
    pub primary: MysqlTarget,
    pub replicas: Vec<MysqlTarget>,
    pub redis: Option<RedisTopology>,
}
