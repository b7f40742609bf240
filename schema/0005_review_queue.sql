-- The support team's shared review queue.
--
-- review_claims: a reviewer holds a conversation until the claim expires (renewed while it is
--   open). `held_conversation_id` is set only while the claim is live; its unique index is what
--   keeps two reviewers off one conversation, whichever machines they work from. An ended claim
--   keeps its outcome (saved, skipped, released, expired) as the reviewers' history.
-- review_queues / review_queue_items: a named queue, e.g. a QA sample, with its conversations in
--   the order they were drawn and how many reviewers each should get.
CREATE TABLE review_claims (
  id BIGINT AUTO_INCREMENT PRIMARY KEY COMMENT '领取ID',
  conversation_id BIGINT NOT NULL COMMENT '对话ID',
  held_conversation_id BIGINT DEFAULT NULL COMMENT '领取有效期间的对话ID',
  queue_id BIGINT DEFAULT NULL COMMENT '命名队列ID, 按筛选领取时为空',
  reviewer VARCHAR(100) NOT NULL COMMENT '审核人',
  claimed_at DATETIME(3) NOT NULL COMMENT '领取时间',
  expires_at DATETIME(3) NOT NULL COMMENT '到期时间',
  ended_at DATETIME(3) DEFAULT NULL COMMENT '结束时间',
  outcome VARCHAR(20) DEFAULT NULL COMMENT '结果: saved skipped released expired',
  CONSTRAINT fk_review_claims_conversation_id FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE CASCADE,
  UNIQUE KEY uk_held_conversation_id (held_conversation_id),
  INDEX idx_conversation_id_reviewer (conversation_id, reviewer),
  INDEX idx_reviewer_claimed_at (reviewer, claimed_at),
  INDEX idx_claimed_at (claimed_at),
  INDEX idx_expires_at (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='对话审核领取表';

CREATE TABLE review_queues (
  id BIGINT AUTO_INCREMENT PRIMARY KEY COMMENT '队列ID',
  name VARCHAR(100) NOT NULL COMMENT '队列名',
  spec JSON NOT NULL COMMENT '抽样条件',
  reviews_wanted TINYINT NOT NULL DEFAULT 1 COMMENT '每个对话需要的审核人数',
  created_by VARCHAR(100) NOT NULL COMMENT '创建人',
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) COMMENT '创建时间',
  UNIQUE KEY uk_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='审核队列表';

CREATE TABLE review_queue_items (
  queue_id BIGINT NOT NULL COMMENT '队列ID',
  position INT NOT NULL COMMENT '抽取顺序',
  conversation_id BIGINT NOT NULL COMMENT '对话ID',
  PRIMARY KEY (queue_id, position),
  UNIQUE KEY uk_queue_id_conversation_id (queue_id, conversation_id),
  INDEX idx_conversation_id (conversation_id),
  CONSTRAINT fk_review_queue_items_queue_id FOREIGN KEY (queue_id) REFERENCES review_queues(id) ON DELETE CASCADE,
  CONSTRAINT fk_review_queue_items_conversation_id FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='审核队列对话表';
