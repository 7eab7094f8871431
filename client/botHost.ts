/**
 * The bot's host controls and what it sees of them (`meeting bot --mute USER --lock …`): prints one
 * event per line (muted-by-host, moderated, removed, meeting-ended, waiting, admitted, denied,
 * waiting-list, role, hand, reaction, room-options) and carries out the actions given on the
 * command line once the bot is in: lock, waiting room, hand, reaction, and — as the named members
 * are present or arrive — mute, remove, and admit from the waiting room.
 */
import { InvalidArgumentError } from 'commander';
import { REACTIONS, type ReactionName } from '../common/constants';
import type { MeetingClient } from './MeetingClient';

export type Print = (event: string, data: Record<string, unknown>) => void;

export interface BotHostOptions {
  mute: string[];
  remove: string[];
  bar?: boolean;
  lock?: boolean;
  waitingRoom?: boolean;
  admit: string[];
  hand?: boolean;
  react?: ReactionName;
}

/** Commander parser of --react. */
export function reaction(value: string): ReactionName {
  if (!(REACTIONS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${REACTIONS.join(', ')}`);
  return value as ReactionName;
}

/**
 * Prints the host-control events the bot sees; `finish` ends the bot (status 5 when removed, 0 when
 * the host ended the meeting). Call before joining (a join may wait in the waiting room).
 */
export function watchHostEvents(
  client: MeetingClient,
  print: Print,
  finish: (code: number) => void,
): void {
  client.on('moderated', (m) =>
    m.action === 'mute'
      ? print('muted-by-host', { by: m.by })
      : print('moderated', { action: m.action, by: m.by }),
  );
  client.on('removed', (r) => {
    print('removed', { by: r.by, barred: r.barred });
    finish(5);
  });
  client.on('meetingEnded', (e) => {
    print('meeting-ended', { by: e.by });
    finish(0);
  });
  client.on('waiting', (w) => print('waiting', { meetingId: w.meetingId }));
  client.on('admitted', (a) => print('admitted', { meetingId: a.meetingId }));
  client.on('waitingDenied', (d) => print('denied', { meetingId: d.meetingId }));
  client.on('waitingList', (l) =>
    print('waiting-list', { waiting: l.waiting.map((w) => ({ ...w })) }),
  );
  client.on('roleChanged', (r) => print('role', { ...r }));
  client.on('hand', (h) => print('hand', { ...h }));
  client.on('reaction', (r) => print('reaction', { ...r }));
  client.on('roomOptions', (o) => print('room-options', { ...o }));
}

/** Carries out the command line's host actions (the bot is in its meeting). */
export async function runHostActions(
  client: MeetingClient,
  options: BotHostOptions,
  print: Print,
): Promise<void> {
  const attempt = async (
    action: string,
    data: Record<string, unknown>,
    run: () => Promise<unknown>,
  ) => {
    try {
      await run();
      print(action, data);
    } catch (error) {
      const e = error as { code?: string; message?: string };
      print('error', {
        action,
        ...data,
        code: e.code ?? 'ERR_INTERNAL',
        message: String(e.message),
      });
    }
  };
  if (options.lock) await attempt('locked', {}, () => client.host.setLocked(true));
  if (options.waitingRoom)
    await attempt('waiting-room', {}, () => client.host.setWaitingRoom(true));

  // Members named by --mute / --remove: acted on now if present, else when they arrive.
  const pending = new Map<string, Array<'mute' | 'remove'>>();
  for (const name of options.mute) pending.set(name, [...(pending.get(name) ?? []), 'mute']);
  for (const name of options.remove) pending.set(name, [...(pending.get(name) ?? []), 'remove']);
  const act = async (memberId: number, username: string): Promise<void> => {
    const actions = pending.get(username);
    if (!actions) return;
    pending.delete(username);
    for (const a of actions) {
      if (a === 'mute')
        await attempt('muted', { username, memberId }, () => client.host.mute(memberId));
      else
        await attempt('removed-member', { username, memberId, barred: options.bar === true }, () =>
          client.host.remove(memberId, options.bar === true),
        );
    }
  };
  if (pending.size > 0) {
    client.on('memberJoined', (m) => void act(m.memberId, m.username));
    for (const m of client.members)
      if (m.memberId !== client.session?.memberId) await act(m.memberId, m.username);
  }

  // --admit USER|all: let them in whenever they wait.
  if (options.admit.length > 0) {
    const all = options.admit.includes('all');
    const wanted = new Set(options.admit);
    const admitWaiting = async (waiting: ReadonlyArray<{ userId: number; username: string }>) => {
      for (const w of waiting)
        if (all || wanted.has(w.username))
          await attempt('admit', { username: w.username, userId: w.userId }, () =>
            client.host.admit(w.userId),
          );
    };
    client.on('waitingList', (l) => void admitWaiting(l.waiting));
    await admitWaiting(client.waiting);
  }

  if (options.hand) await attempt('hand-raised', {}, () => client.host.raiseHand(true));
  if (options.react) {
    const name = options.react;
    await attempt('reacted', { reaction: name }, () => client.host.react(name));
  }
}
