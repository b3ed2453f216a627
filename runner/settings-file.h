/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Settings files: /etc/runimg/NAME.conf (loaded for -M NAME) or --settings FILE; nspawn's
 * .nspawn files are accepted (compat).  The file is parsed into a struct run_settings of its
 * own, which then fills what the command line left unset: the command line overrides the file.
 *
 *   [Exec]       Boot= Hostname= Environment= Parameters= NotifyReady=
 *   [Files]      ReadOnly= Ephemeral= Overlay= Bind= BindReadOnly=
 *   [Network]    Private=; Bridge= VirtualEthernet= VirtualEthernetExtra= (ifspec.c)
 *   [Interface]  every key (ifspec.c)
 *   [Resources]  MemoryMax= ... IOWeight= (cg-limits.c)
 *
 * Errors carry the position: "FILE:LINE: unknown key 'Hostnme' in [Exec] (did you mean
 * 'Hostname'?)"; callers exit 2.
 */
#pragma once

#include <stddef.h>

#include "settings.h"

#define RUNIMG_SETTINGS_DIR "/etc/runimg"

/* Where -M NAME without an image looks for NAME.raw, NAME.img, NAME/, NAME.tar... */
#define RUNIMG_IMAGE_DIRS "/var/lib/runimg:/var/lib/machines"

/* Pure: parse a settings file's text into s (settings_init()ed, for this file alone).
 * -EINVAL (or -EBADMSG) with *ret_msg = "FILE:LINE: ..." (malloc'd), or -ENOMEM. */
int settings_file_parse(struct run_settings *s, const char *buf, size_t len, const char *file,
			char **ret_msg);
/* Read path and parse it; unreadable files are -errno with *ret_msg saying so. */
int settings_file_load(struct run_settings *s, const char *path, char **ret_msg);

/* Pure: move what s (the command line) leaves unset over from file; file is left empty-ish
 * (call settings_done() on it).  Environment entries merge by name and binds by destination,
 * the command line's winning. */
int settings_merge_file(struct run_settings *s, struct run_settings *file);

/* DIR/NAME.conf, else DIR/NAME.nspawn, if one exists: 1 and *ret; 0 if none. */
int settings_file_find(const char *dir, const char *machine, char **ret);

/* -M NAME and no image: the first of DIR/NAME.raw .img (a directory) .tar .tar.gz .tar.xz
 * .tar.zst in the ':'-separated dirs.  1 and *ret; 0 if none. */
int settings_find_image(const char *dirs, const char *machine, char **ret);

/* The run verb: load the settings file that applies (explicit_path, else CONF_DIR/NAME.conf for
 * -M NAME) under the command line, and find the image of -M NAME when none was given.  Logs;
 * -EINVAL for errors in the file (exit 2). */
int settings_apply_files(struct run_settings *s, const char *explicit_path, const char *conf_dir,
			 const char *image_dirs);
