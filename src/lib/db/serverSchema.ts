// The mastoc server's DDL, as SQLAlchemy 2.0.52 emits it for mortner31/mastoc server/ at dfa5696 (test/fixtures/mastoc-server/).

import type {Dialect} from './target.js'

/** The server's tables that the importer writes, each after the tables it references. */
export const SERVER_TABLES = ['gyms', 'users', 'faces', 'holds', 'climbs'] as const

export type ServerTable = (typeof SERVER_TABLES)[number]

/**
 * Per dialect and table: its CREATE TABLE, then its indexes. Byte for byte the server's, the space
 * after each comma too: SQLite keeps a table's statement as written (sqlite_master.sql).
 */
export const SERVER_DDL: Record<Dialect, Record<ServerTable, readonly string[]>> = {
  postgres: {
    gyms: [
      `CREATE TABLE gyms (
	id UUID NOT NULL, 
	stokt_id UUID, 
	display_name VARCHAR(255) NOT NULL, 
	location_string VARCHAR(255), 
	source VARCHAR(20) NOT NULL, 
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	PRIMARY KEY (id)
)`,
      `CREATE UNIQUE INDEX ix_gyms_stokt_id ON gyms (stokt_id)`,
    ],
    users: [
      `CREATE TABLE users (
	id UUID NOT NULL, 
	stokt_id UUID, 
	full_name VARCHAR(255) NOT NULL, 
	avatar_path VARCHAR(500), 
	email VARCHAR(255), 
	username VARCHAR(100), 
	password_hash VARCHAR(255), 
	is_active BOOLEAN NOT NULL, 
	role VARCHAR(20) NOT NULL, 
	source VARCHAR(20) NOT NULL, 
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	updated_at TIMESTAMP WITHOUT TIME ZONE, 
	last_login_at TIMESTAMP WITHOUT TIME ZONE, 
	reset_token VARCHAR(255), 
	reset_token_expires TIMESTAMP WITHOUT TIME ZONE, 
	PRIMARY KEY (id)
)`,
      `CREATE UNIQUE INDEX ix_users_email ON users (email)`,
      `CREATE UNIQUE INDEX ix_users_stokt_id ON users (stokt_id)`,
      `CREATE UNIQUE INDEX ix_users_username ON users (username)`,
    ],
    faces: [
      `CREATE TABLE faces (
	id UUID NOT NULL, 
	stokt_id UUID, 
	gym_id UUID NOT NULL, 
	picture_path VARCHAR(500) NOT NULL, 
	picture_width INTEGER, 
	picture_height INTEGER, 
	feet_rules_options JSON NOT NULL, 
	has_symmetry BOOLEAN NOT NULL, 
	source VARCHAR(20) NOT NULL, 
	synced_at TIMESTAMP WITHOUT TIME ZONE, 
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(gym_id) REFERENCES gyms (id)
)`,
      `CREATE UNIQUE INDEX ix_faces_stokt_id ON faces (stokt_id)`,
    ],
    holds: [
      `CREATE TABLE holds (
	id SERIAL NOT NULL, 
	stokt_id INTEGER, 
	face_id UUID NOT NULL, 
	polygon_str VARCHAR(2000) NOT NULL, 
	centroid_x FLOAT, 
	centroid_y FLOAT, 
	path_str VARCHAR(5000), 
	area FLOAT, 
	center_tape_str VARCHAR(200), 
	right_tape_str VARCHAR(200), 
	left_tape_str VARCHAR(200), 
	PRIMARY KEY (id), 
	FOREIGN KEY(face_id) REFERENCES faces (id)
)`,
      `CREATE UNIQUE INDEX ix_holds_stokt_id ON holds (stokt_id)`,
    ],
    climbs: [
      `CREATE TABLE climbs (
	id UUID NOT NULL, 
	stokt_id UUID, 
	face_id UUID NOT NULL, 
	setter_id UUID, 
	name VARCHAR(255) NOT NULL, 
	holds_list TEXT NOT NULL, 
	mirror_holds_list TEXT, 
	grade_font VARCHAR(10), 
	grade_ircra FLOAT, 
	feet_rule VARCHAR(100), 
	description TEXT, 
	is_private BOOLEAN NOT NULL, 
	is_benchmark BOOLEAN NOT NULL, 
	climbed_by INTEGER NOT NULL, 
	total_likes INTEGER NOT NULL, 
	total_comments INTEGER NOT NULL, 
	source VARCHAR(20) NOT NULL, 
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL, 
	synced_at TIMESTAMP WITHOUT TIME ZONE, 
	personal_notes TEXT, 
	personal_rating INTEGER, 
	is_project BOOLEAN NOT NULL, 
	created_by_id UUID, 
	updated_by_id UUID, 
	updated_at TIMESTAMP WITHOUT TIME ZONE, 
	PRIMARY KEY (id), 
	FOREIGN KEY(face_id) REFERENCES faces (id), 
	FOREIGN KEY(setter_id) REFERENCES users (id), 
	FOREIGN KEY(created_by_id) REFERENCES users (id), 
	FOREIGN KEY(updated_by_id) REFERENCES users (id)
)`,
      `CREATE UNIQUE INDEX ix_climbs_stokt_id ON climbs (stokt_id)`,
    ],
  },
  sqlite: {
    gyms: [
      `CREATE TABLE gyms (
	id UUID NOT NULL, 
	stokt_id UUID, 
	display_name VARCHAR(255) NOT NULL, 
	location_string VARCHAR(255), 
	source VARCHAR(20) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
)`,
      `CREATE UNIQUE INDEX ix_gyms_stokt_id ON gyms (stokt_id)`,
    ],
    users: [
      `CREATE TABLE users (
	id UUID NOT NULL, 
	stokt_id UUID, 
	full_name VARCHAR(255) NOT NULL, 
	avatar_path VARCHAR(500), 
	email VARCHAR(255), 
	username VARCHAR(100), 
	password_hash VARCHAR(255), 
	is_active BOOLEAN NOT NULL, 
	role VARCHAR(20) NOT NULL, 
	source VARCHAR(20) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	last_login_at DATETIME, 
	reset_token VARCHAR(255), 
	reset_token_expires DATETIME, 
	PRIMARY KEY (id)
)`,
      `CREATE UNIQUE INDEX ix_users_email ON users (email)`,
      `CREATE UNIQUE INDEX ix_users_stokt_id ON users (stokt_id)`,
      `CREATE UNIQUE INDEX ix_users_username ON users (username)`,
    ],
    faces: [
      `CREATE TABLE faces (
	id UUID NOT NULL, 
	stokt_id UUID, 
	gym_id UUID NOT NULL, 
	picture_path VARCHAR(500) NOT NULL, 
	picture_width INTEGER, 
	picture_height INTEGER, 
	feet_rules_options JSON NOT NULL, 
	has_symmetry BOOLEAN NOT NULL, 
	source VARCHAR(20) NOT NULL, 
	synced_at DATETIME, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(gym_id) REFERENCES gyms (id)
)`,
      `CREATE UNIQUE INDEX ix_faces_stokt_id ON faces (stokt_id)`,
    ],
    holds: [
      `CREATE TABLE holds (
	id INTEGER NOT NULL, 
	stokt_id INTEGER, 
	face_id UUID NOT NULL, 
	polygon_str VARCHAR(2000) NOT NULL, 
	centroid_x FLOAT, 
	centroid_y FLOAT, 
	path_str VARCHAR(5000), 
	area FLOAT, 
	center_tape_str VARCHAR(200), 
	right_tape_str VARCHAR(200), 
	left_tape_str VARCHAR(200), 
	PRIMARY KEY (id), 
	FOREIGN KEY(face_id) REFERENCES faces (id)
)`,
      `CREATE UNIQUE INDEX ix_holds_stokt_id ON holds (stokt_id)`,
    ],
    climbs: [
      `CREATE TABLE climbs (
	id UUID NOT NULL, 
	stokt_id UUID, 
	face_id UUID NOT NULL, 
	setter_id UUID, 
	name VARCHAR(255) NOT NULL, 
	holds_list TEXT NOT NULL, 
	mirror_holds_list TEXT, 
	grade_font VARCHAR(10), 
	grade_ircra FLOAT, 
	feet_rule VARCHAR(100), 
	description TEXT, 
	is_private BOOLEAN NOT NULL, 
	is_benchmark BOOLEAN NOT NULL, 
	climbed_by INTEGER NOT NULL, 
	total_likes INTEGER NOT NULL, 
	total_comments INTEGER NOT NULL, 
	source VARCHAR(20) NOT NULL, 
	created_at DATETIME NOT NULL, 
	synced_at DATETIME, 
	personal_notes TEXT, 
	personal_rating INTEGER, 
	is_project BOOLEAN NOT NULL, 
	created_by_id UUID, 
	updated_by_id UUID, 
	updated_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(face_id) REFERENCES faces (id), 
	FOREIGN KEY(setter_id) REFERENCES users (id), 
	FOREIGN KEY(created_by_id) REFERENCES users (id), 
	FOREIGN KEY(updated_by_id) REFERENCES users (id)
)`,
      `CREATE UNIQUE INDEX ix_climbs_stokt_id ON climbs (stokt_id)`,
    ],
  },
}
