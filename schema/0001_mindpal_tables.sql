-- The nine MindPal tables, from the platform's design, with these corrections:
--   users.idx_phone dropped (it duplicated the UNIQUE key on phone); email unique as the design's
--   conventions ask; (status, created_at, id) for the user list.
--   user_preferences.idx_user_id dropped (a leftmost prefix of uk_user_key).
--   system_settings: user_scope (0 for global rows) makes global settings unique too: a UNIQUE key
--   over the nullable user_id let duplicate global keys in, because NULLs are distinct.
--   conversations (user_id, last_message_at), conversation_messages (conversation_id, id) and
--   emotion_logs (user_id, detected_at) for the hot paths; the single-column indexes they cover dropped.
--   `version` for optimistic locking on the rows the console edits; a COMMENT on every column.
-- Written in syntax both MariaDB 10.11 and MySQL 8.0/8.4 accept.

CREATE TABLE users (
  id BIGINT AUTO_INCREMENT PRIMARY KEY COMMENT '用户ID',
  phone VARCHAR(20) NOT NULL COMMENT '手机号',
  email VARCHAR(255) DEFAULT NULL COMMENT '邮箱',
  password VARCHAR(255) DEFAULT NULL COMMENT '密码(BCrypt加密)',
  nickname VARCHAR(100) DEFAULT NULL COMMENT '昵称',
  avatar_url VARCHAR(500) DEFAULT NULL COMMENT '头像URL',
  gender TINYINT DEFAULT 0 COMMENT '性别: 0未知 1男 2女',
  birthday DATE DEFAULT NULL COMMENT '生日',
  bio TEXT DEFAULT NULL COMMENT '个人简介',
  status TINYINT DEFAULT 1 COMMENT '状态: 1正常 2禁用',
  role VARCHAR(20) DEFAULT 'user' COMMENT '角色: user普通用户 admin管理员',
  last_login_at DATETIME DEFAULT NULL COMMENT '最后登录时间',
  last_login_ip VARCHAR(50) DEFAULT NULL COMMENT '最后登录IP',
  version INT NOT NULL DEFAULT 0 COMMENT '版本号(乐观锁)',
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP COMMENT '创建时间',
  updated_at DATETIME DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP COMMENT '更新时间',
  deleted_at DATETIME DEFAULT NULL COMMENT '删除时间(软删除)',
  UNIQUE KEY uk_phone (phone),
  UNIQUE KEY uk_email (email),
  INDEX idx_status_created_at (status, created_at, id),
  INDEX idx_created_at (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='用户表';

CREATE TABLE digital_humans (
  id BIGINT AUTO_INCREMENT PRIMARY KEY COMMENT '数字人ID',
  user_id BIGINT NOT NULL COMMENT '所属用户ID',
  name VARCHAR(100) NOT NULL COMMENT '数字人名称',
  avatar_url VARCHAR(500) DEFAULT NULL COMMENT '数字人头像',
  model_type VARCHAR(50) DEFAULT '2d' COMMENT '模型类型: 2d/3d',
  personality VARCHAR(100) DEFAULT 'friendly' COMMENT '性格: friendly友好 professional专业 humorous幽默 gentle温柔',
  tone VARCHAR(100) DEFAULT 'warm' COMMENT '语气: warm温暖 professional专业 playful活泼',
  expertise TEXT DEFAULT NULL COMMENT '擅长领域(JSON数组)',
  voice_id VARCHAR(100) DEFAULT NULL COMMENT '语音ID',
  voice_speed DECIMAL(3,2) DEFAULT 1.0 COMMENT '语速: 0.5~2.0',
  voice_pitch DECIMAL(3,2) DEFAULT 1.0 COMMENT '音调: 0.5~2.0',
  description TEXT DEFAULT NULL COMMENT '数字人描述',
  system_prompt TEXT DEFAULT NULL COMMENT '系统提示词',
  status TINYINT DEFAULT 1 COMMENT '状态: 1可用 2禁用',
  is_template TINYINT DEFAULT 0 COMMENT '是否为模板: 0否 1是',
  version INT NOT NULL DEFAULT 0 COMMENT '版本号(乐观锁)',
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP COMMENT '创建时间',
  updated_at DATETIME DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP COMMENT '更新时间',
  deleted_at DATETIME DEFAULT NULL COMMENT '删除时间(软删除)',
  CONSTRAINT fk_digital_humans_user_id FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
  INDEX idx_user_id (user_id),
  INDEX idx_name (name),
  INDEX idx_status (status),
  INDEX idx_is_template (is_template)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='数字人表';

CREATE TABLE user_preferences (
  id BIGINT AUTO_INCREMENT PRIMARY KEY COMMENT '偏好ID',
  user_id BIGINT NOT NULL COMMENT '用户ID',
  preference_key VARCHAR(100) NOT NULL COMMENT '偏好键(如: favorite_topics, interests)',
  preference_value TEXT NOT NULL COMMENT '偏好值(JSON格式)',
  source VARCHAR(50) DEFAULT 'manual' COMMENT '来源: manual手动设置 learned学习获得',
  confidence DECIMAL(3,2) DEFAULT 1.0 COMMENT '置信度: 0~1',
  version INT NOT NULL DEFAULT 0 COMMENT '版本号(乐观锁)',
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP COMMENT '创建时间',
  updated_at DATETIME DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP COMMENT '更新时间',
  CONSTRAINT fk_user_preferences_user_id FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
  UNIQUE KEY uk_user_key (user_id, preference_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='用户偏好表';

CREATE TABLE knowledge_base (
  id BIGINT AUTO_INCREMENT PRIMARY KEY COMMENT '知识库ID',
  user_id BIGINT DEFAULT NULL COMMENT '创建用户ID(NULL表示系统知识库)',
  digital_human_id BIGINT DEFAULT NULL COMMENT '关联数字人ID(个人知识库)',
  title VARCHAR(500) NOT NULL COMMENT '标题/问题',
  content TEXT NOT NULL COMMENT '内容/答案',
  keywords VARCHAR(500) DEFAULT NULL COMMENT '关键词(逗号分隔)',
  category VARCHAR(100) DEFAULT NULL COMMENT '分类: 生活常识,编程技术,情感支持,健康养生,其他',
  vector_embedding TEXT DEFAULT NULL COMMENT '向量嵌入(用于RAG检索)',
  source VARCHAR(100) DEFAULT 'manual' COMMENT '来源: manual手动添加 uploaded上传文档 learned学习获得',
  priority INT DEFAULT 0 COMMENT '优先级(数字越大越优先)',
  use_count INT DEFAULT 0 COMMENT '使用次数',
  status TINYINT DEFAULT 1 COMMENT '状态: 1可用 2禁用',
  version INT NOT NULL DEFAULT 0 COMMENT '版本号(乐观锁)',
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP COMMENT '创建时间',
  updated_at DATETIME DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP COMMENT '更新时间',
  deleted_at DATETIME DEFAULT NULL COMMENT '删除时间(软删除)',
  CONSTRAINT fk_knowledge_base_user_id FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
  CONSTRAINT fk_knowledge_base_digital_human_id FOREIGN KEY (digital_human_id) REFERENCES digital_humans(id) ON DELETE CASCADE,
  INDEX idx_user_id (user_id),
  INDEX idx_digital_human_id (digital_human_id),
  INDEX idx_category (category),
  INDEX idx_keywords (keywords(255)),
  FULLTEXT INDEX ft_idx_title_content (title, content)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='知识库表';

CREATE TABLE conversations (
  id BIGINT AUTO_INCREMENT PRIMARY KEY COMMENT '对话ID',
  user_id BIGINT NOT NULL COMMENT '用户ID',
  digital_human_id BIGINT NOT NULL COMMENT '数字人ID',
  title VARCHAR(200) DEFAULT NULL COMMENT '对话标题',
  summary TEXT DEFAULT NULL COMMENT '对话摘要',
  status VARCHAR(20) DEFAULT 'active' COMMENT '状态: active活跃 archived已归档 deleted已删除',
  message_count INT DEFAULT 0 COMMENT '消息数量',
  last_message_at DATETIME DEFAULT NULL COMMENT '最后消息时间',
  user_satisfaction TINYINT DEFAULT NULL COMMENT '用户满意度: 1-5',
  context JSON DEFAULT NULL COMMENT '对话上下文(长期记忆等)',
  version INT NOT NULL DEFAULT 0 COMMENT '版本号(乐观锁)',
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP COMMENT '创建时间',
  updated_at DATETIME DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP COMMENT '更新时间',
  deleted_at DATETIME DEFAULT NULL COMMENT '删除时间(软删除)',
  CONSTRAINT fk_conversations_user_id FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
  CONSTRAINT fk_conversations_digital_human_id FOREIGN KEY (digital_human_id) REFERENCES digital_humans(id) ON DELETE CASCADE,
  INDEX idx_user_id_last_message_at (user_id, last_message_at),
  INDEX idx_digital_human_id (digital_human_id),
  INDEX idx_status_last_message_at (status, last_message_at),
  INDEX idx_last_message_at (last_message_at),
  INDEX idx_created_at (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='对话表';

CREATE TABLE conversation_messages (
  id BIGINT AUTO_INCREMENT PRIMARY KEY COMMENT '消息ID',
  conversation_id BIGINT NOT NULL COMMENT '对话ID',
  sender_type VARCHAR(20) NOT NULL COMMENT '发送者类型: user用户 digital_human数字人',
  message_type VARCHAR(20) DEFAULT 'text' COMMENT '消息类型: text文本 voice语音 image图片',
  content TEXT NOT NULL COMMENT '消息内容',
  audio_url VARCHAR(500) DEFAULT NULL COMMENT '语音URL',
  duration INT DEFAULT NULL COMMENT '语音时长(秒)',
  user_emotion VARCHAR(50) DEFAULT NULL COMMENT '用户情绪: happy开心 sad难过 neutral中性 angry生气',
  dh_emotion VARCHAR(50) DEFAULT NULL COMMENT '数字人情绪: friendly友好 warm温暖 professional专业',
  intent VARCHAR(100) DEFAULT NULL COMMENT '意图识别结果',
  quality_score DECIMAL(3,2) DEFAULT NULL COMMENT '回复质量评分: 0~1',
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP COMMENT '创建时间',
  CONSTRAINT fk_conversation_messages_conversation_id FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE CASCADE,
  INDEX idx_conversation_id_id (conversation_id, id),
  INDEX idx_sender_type (sender_type),
  INDEX idx_created_at (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='对话消息表';

CREATE TABLE emotion_logs (
  id BIGINT AUTO_INCREMENT PRIMARY KEY COMMENT '情感日志ID',
  user_id BIGINT NOT NULL COMMENT '用户ID',
  conversation_id BIGINT DEFAULT NULL COMMENT '对话ID',
  emotion VARCHAR(50) NOT NULL COMMENT '情绪: happy开心 sad难过 anxious焦虑 excited兴奋 angry生气',
  intensity DECIMAL(3,2) DEFAULT NULL COMMENT '强度: 0~1',
  trigger_text TEXT DEFAULT NULL COMMENT '触发文本',
  context TEXT DEFAULT NULL COMMENT '上下文',
  detected_at DATETIME DEFAULT CURRENT_TIMESTAMP COMMENT '检测时间',
  CONSTRAINT fk_emotion_logs_user_id FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
  CONSTRAINT fk_emotion_logs_conversation_id FOREIGN KEY (conversation_id) REFERENCES conversations(id) ON DELETE SET NULL,
  INDEX idx_user_id_detected_at (user_id, detected_at),
  INDEX idx_conversation_id (conversation_id),
  INDEX idx_emotion (emotion),
  INDEX idx_detected_at (detected_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='情感日志表';

CREATE TABLE system_settings (
  id BIGINT AUTO_INCREMENT PRIMARY KEY COMMENT '配置ID',
  user_id BIGINT DEFAULT NULL COMMENT '用户ID(NULL表示全局配置)',
  user_scope BIGINT GENERATED ALWAYS AS (IFNULL(user_id, 0)) STORED COMMENT '唯一性范围: 用户ID, 全局配置为0',
  setting_key VARCHAR(100) NOT NULL COMMENT '配置键',
  setting_value TEXT NOT NULL COMMENT '配置值',
  description VARCHAR(500) DEFAULT NULL COMMENT '配置描述',
  version INT NOT NULL DEFAULT 0 COMMENT '版本号(乐观锁)',
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP COMMENT '创建时间',
  updated_at DATETIME DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP COMMENT '更新时间',
  CONSTRAINT fk_system_settings_user_id FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
  UNIQUE KEY uk_user_scope_key (user_scope, setting_key),
  INDEX idx_user_id (user_id),
  INDEX idx_setting_key (setting_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='系统配置表';

CREATE TABLE operation_logs (
  id BIGINT AUTO_INCREMENT PRIMARY KEY COMMENT '日志ID',
  user_id BIGINT DEFAULT NULL COMMENT '用户ID',
  action VARCHAR(100) NOT NULL COMMENT '操作类型',
  resource_type VARCHAR(50) NOT NULL COMMENT '资源类型: user,digital_human,conversation,schema等',
  resource_id BIGINT DEFAULT NULL COMMENT '资源ID',
  details JSON DEFAULT NULL COMMENT '操作详情',
  ip_address VARCHAR(50) DEFAULT NULL COMMENT 'IP地址',
  user_agent VARCHAR(500) DEFAULT NULL COMMENT 'User Agent',
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP COMMENT '操作时间',
  INDEX idx_user_id (user_id),
  INDEX idx_action (action),
  INDEX idx_resource (resource_type, resource_id),
  INDEX idx_created_at (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='操作日志表';
