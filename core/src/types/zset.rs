//! The sorted set: a member → score [`Dict`] plus a score-ordered skiplist
//! with spans (Redis's `zskiplist`), so insert, delete, rank and lookup by
//! rank are O(log n) and every range (by rank, score or lex) O(log n + m).
//!
//! The skiplist lives in an arena: nodes in a `Vec`, linked by `u32`
//! indices, with a free list for removed slots. That keeps it safe Rust and
//! makes `Clone` a plain copy. Order is Redis's: by score, then by member
//! bytes (memcmp, a prefix first).
//!
//! Redis keeps small sorted sets in a listpack and converts them to a
//! skiplist one way; [`ZSet::big`] records that. It matters beyond OBJECT
//! ENCODING in two places reproduced here: a listpack stores integral
//! scores as integers, so `-0` reads back as `0`; and lex ranges on a
//! listpack are found by a linear scan, which only differs from the
//! skiplist search when members are not sorted (mixed scores).

use crate::dict::Dict;
use crate::small_bytes::SmallBytes;
use std::cmp::Ordering;

/// Most levels a node can have (Redis's `ZSKIPLIST_MAXLEVEL`).
const MAX_LEVEL: usize = 32;
/// The null link.
const NIL: u32 = u32::MAX;
/// The head node's index: a sentinel with `MAX_LEVEL` links and no member.
const HEAD: u32 = 0;

/// A forward link at one level. `span` counts the level-0 steps it jumps;
/// it is meaningless (possibly wrapped garbage, as in Redis) when `next`
/// is `NIL`, and is never read then.
#[derive(Debug, Clone, Copy, Default)]
struct Link {
    next: u32,
    span: u32,
}

/// Levels above 0 whose links live inside the node. Searches mostly step
/// through low levels of many nodes; keeping those links in the same cache
/// line as the score they compare spares a cache miss per step. Higher
/// levels (one node in 64 has them) are boxed.
const INLINE: usize = 2;

/// A node's links above level 0: levels `1..=INLINE` in place, the rest
/// boxed (a thin box, so a node fits one cache line).
#[derive(Debug, Clone, Default)]
struct Links {
    low: [Link; INLINE],
    high: Option<Box<[Link; MAX_LEVEL - 1 - INLINE]>>,
}

impl Links {
    fn new(level: usize) -> Links {
        let nil = Link { next: NIL, span: 0 };
        Links {
            low: [nil; INLINE],
            high: (level > INLINE + 1).then(|| Box::new([nil; MAX_LEVEL - 1 - INLINE])),
        }
    }

    /// The link at level `i` (1 or more).
    #[inline]
    fn get_mut(&mut self, i: usize) -> &mut Link {
        if i <= INLINE {
            &mut self.low[i - 1]
        } else {
            &mut self.high.as_mut().expect("a level the node has")[i - 1 - INLINE]
        }
    }

    #[inline]
    fn get(&self, i: usize) -> Link {
        if i <= INLINE {
            self.low[i - 1]
        } else {
            self.high.as_ref().expect("a level the node has")[i - 1 - INLINE]
        }
    }
}

/// One cache line (aligned to 64): a search step, which reads a node's
/// score, its member on a tie (members up to 22 bytes are in place) and
/// its low links, touches one line. Level 0 keeps only `next`: its span is
/// always 1.
#[derive(Debug, Clone)]
#[repr(C, align(64))]
struct Node {
    score: f64,
    member: SmallBytes,
    /// The previous node at level 0, `NIL` for the first one.
    prev: u32,
    /// The next node at level 0.
    next: u32,
    links: Links,
}

const _: () = assert!(std::mem::size_of::<Node>() == 64);

impl Node {
    /// True when this node sorts strictly before (score, member).
    #[inline]
    fn before(&self, score: f64, member: &[u8]) -> bool {
        self.score < score || (self.score == score && *self.member < *member)
    }
}

/// The path of a search: for each level, the last node visited and its rank
/// (1-based; the head has rank 0). `update[0]` is where the search stopped.
struct Walk {
    update: [u32; MAX_LEVEL],
    rank: [usize; MAX_LEVEL],
}

/// A search in progress: at `x` (rank `rank`), comparing at level
/// `level - 1`; done when `level` is 0.
struct Cursor {
    x: u32,
    rank: usize,
    level: usize,
    walk: Walk,
}

impl Cursor {
    fn new(level: usize) -> Cursor {
        Cursor {
            x: HEAD,
            rank: 0,
            level,
            walk: Walk {
                update: [HEAD; MAX_LEVEL],
                rank: [0; MAX_LEVEL],
            },
        }
    }
}

/// The skiplist proper (Pugh's, with Redis's spans and back links).
#[derive(Debug, Clone)]
struct SkipList {
    nodes: Vec<Node>,
    free: Vec<u32>,
    tail: u32,
    level: usize,
    len: usize,
}

impl Default for SkipList {
    fn default() -> Self {
        let head = Node {
            member: SmallBytes::from(&[][..]),
            score: 0.0,
            prev: NIL,
            next: NIL,
            links: Links::new(MAX_LEVEL),
        };
        SkipList {
            nodes: vec![head],
            free: Vec::new(),
            tail: NIL,
            level: 1,
            len: 0,
        }
    }
}

/// A random level in 1..=MAX_LEVEL, each extra level with probability 1/4.
fn random_level() -> usize {
    let bits: u64 = rand::random();
    (1 + bits.trailing_zeros() as usize / 2).min(MAX_LEVEL)
}

impl SkipList {
    #[inline]
    fn node(&self, x: u32) -> &Node {
        &self.nodes[x as usize]
    }

    #[inline]
    fn link(&self, x: u32, i: usize) -> Link {
        let n = &self.nodes[x as usize];
        match i {
            0 => Link {
                next: n.next,
                span: 1,
            },
            _ => n.links.get(i),
        }
    }

    /// Sets the link of `x` at level `i` (at level 0 only `next`: the span
    /// there is 1 whenever it is read).
    #[inline]
    fn set_link(&mut self, x: u32, i: usize, l: Link) {
        let n = &mut self.nodes[x as usize];
        match i {
            0 => n.next = l.next,
            _ => *n.links.get_mut(i) = l,
        }
    }

    /// Adds `delta` (wrapping) to the span of `x` at level `i`, never 0: a
    /// span changes without its link only where the link jumps over.
    #[inline]
    fn add_span(&mut self, x: u32, i: usize, delta: u32) {
        let l = self.nodes[x as usize].links.get_mut(i);
        l.span = l.span.wrapping_add(delta);
    }

    fn first(&self) -> u32 {
        self.link(HEAD, 0).next
    }

    /// Searches from the head, moving forward at each level while
    /// `advance(next node, rank it would reach)` holds.
    fn walk(&self, mut advance: impl FnMut(&Node, usize) -> bool) -> Walk {
        let mut c = Cursor::new(self.level);
        while self.step(&mut c, &mut advance) {}
        c.walk
    }

    /// Two searches at once, one step of each in turn: a search is a chain
    /// of dependent cache misses, and interleaving two lets the CPU wait for
    /// both misses together (ZADD moving a member needs the old and the new
    /// position: this takes about the time of one search instead of two).
    fn walk2(
        &self,
        mut a: impl FnMut(&Node, usize) -> bool,
        mut b: impl FnMut(&Node, usize) -> bool,
    ) -> (Walk, Walk) {
        let (mut ca, mut cb) = (Cursor::new(self.level), Cursor::new(self.level));
        let (mut more_a, mut more_b) = (true, true);
        while more_a || more_b {
            more_a = more_a && self.step(&mut ca, &mut a);
            more_b = more_b && self.step(&mut cb, &mut b);
        }
        (ca.walk, cb.walk)
    }

    /// One step of a search: forward at the cursor's level when `advance`
    /// holds for the next node, else down a level (recording the path).
    /// False once the search is done.
    #[inline]
    fn step(&self, c: &mut Cursor, advance: &mut impl FnMut(&Node, usize) -> bool) -> bool {
        let i = c.level - 1;
        let l = self.link(c.x, i);
        if l.next != NIL && advance(self.node(l.next), c.rank + l.span as usize) {
            c.rank += l.span as usize;
            c.x = l.next;
            return true;
        }
        c.walk.update[i] = c.x;
        c.walk.rank[i] = c.rank;
        c.level = i;
        i > 0
    }

    /// The path to the slot before (score, member).
    fn walk_before(&self, score: f64, member: &[u8]) -> Walk {
        self.walk(|n, _| n.before(score, member))
    }

    fn alloc(&mut self, node: Node) -> u32 {
        match self.free.pop() {
            Some(x) => {
                self.nodes[x as usize] = node;
                x
            }
            None => {
                self.nodes.push(node);
                u32::try_from(self.nodes.len() - 1).expect("sorted set too large")
            }
        }
    }

    /// Inserts a member known to be absent (Redis's `zslInsert`).
    fn insert(&mut self, score: f64, member: SmallBytes) -> u32 {
        let path = self.walk_before(score, &member);
        self.insert_at(score, member, path)
    }

    /// Inserts (score, member) after the search path `path` to its slot.
    fn insert_at(&mut self, score: f64, member: SmallBytes, path: Walk) -> u32 {
        let Walk {
            mut update,
            mut rank,
        } = path;
        let level = random_level();
        if level > self.level {
            for i in self.level..level {
                rank[i] = 0;
                update[i] = HEAD;
                let span = self.len as u32;
                self.set_link(HEAD, i, Link { next: NIL, span });
            }
            self.level = level;
        }
        let x = self.alloc(Node {
            member,
            score,
            prev: NIL,
            next: NIL,
            links: Links::new(level),
        });
        for i in 0..level {
            let up = self.link(update[i], i);
            let gap = (rank[0] - rank[i]) as u32;
            let span = up.span.wrapping_sub(gap);
            self.set_link(
                x,
                i,
                Link {
                    next: up.next,
                    span,
                },
            );
            self.set_link(
                update[i],
                i,
                Link {
                    next: x,
                    span: gap + 1,
                },
            );
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(level) {
            self.add_span(u, i, 1);
        }
        self.nodes[x as usize].prev = if update[0] == HEAD { NIL } else { update[0] };
        self.set_prev_of_next(x, x);
        self.len += 1;
        x
    }

    /// Makes the level-0 successor of `x` (the tail when there is none)
    /// point back to `to`.
    fn set_prev_of_next(&mut self, x: u32, to: u32) {
        match self.link(x, 0).next {
            NIL => self.tail = to,
            next => self.nodes[next as usize].prev = to,
        }
    }

    /// Unlinks node `x` given the search path to it (Redis's
    /// `zslDeleteNode`) and frees its slot; returns its member.
    fn unlink(&mut self, x: u32, update: &[u32; MAX_LEVEL]) -> SmallBytes {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let ul = self.link(u, i);
            if ul.next == x {
                let xl = self.link(x, i);
                let span = ul.span.wrapping_add(xl.span).wrapping_sub(1);
                self.set_link(
                    u,
                    i,
                    Link {
                        next: xl.next,
                        span,
                    },
                );
            } else {
                self.add_span(u, i, u32::MAX);
            }
        }
        self.set_prev_of_next(x, self.node(x).prev);
        while self.level > 1 && self.link(HEAD, self.level - 1).next == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        let node = &mut self.nodes[x as usize];
        node.links = Links::default();
        self.free.push(x);
        std::mem::replace(&mut node.member, SmallBytes::from(&[][..]))
    }

    /// Removes (score, member), which must be present; returns the member.
    fn delete(&mut self, score: f64, member: &[u8]) -> SmallBytes {
        let w = self.walk_before(score, member);
        let x = self.link(w.update[0], 0).next;
        debug_assert!(x != NIL && *self.node(x).member == *member);
        self.unlink(x, &w.update)
    }

    /// Changes the score of a present member, in place when its position
    /// does not change (Redis's `zslUpdateScore`).
    fn update_score(&mut self, cur: f64, member: &[u8], new: f64) {
        // Both positions in one interleaved search; the new one is searched
        // with the node still in place, and corrected below.
        let (old, mut to) = self.walk2(|n, _| n.before(cur, member), |n, _| n.before(new, member));
        let x = self.link(old.update[0], 0).next;
        let (prev, next) = (self.node(x).prev, self.link(x, 0).next);
        if (prev == NIL || self.node(prev).score < new)
            && (next == NIL || self.node(next).score > new)
        {
            self.nodes[x as usize].score = new;
            return;
        }
        // Moving up, the search for the new slot may have stepped onto or
        // past the node: once it is unlinked, its place in the path is its
        // predecessor's, and the nodes after it lose one rank. (Moving
        // down, the path stops before it and holds.)
        let x_rank = old.rank[0] + 1;
        for i in 0..self.level {
            if to.update[i] == x {
                to.update[i] = old.update[i];
                to.rank[i] = old.rank[i];
            } else if to.rank[i] > x_rank {
                to.rank[i] -= 1;
            }
        }
        let member = self.unlink(x, &old.update);
        self.insert_at(new, member, to);
    }

    /// The 1-based rank of (score, member), 0 when absent.
    fn rank(&self, score: f64, member: &[u8]) -> usize {
        let w =
            self.walk(|n, _| n.before(score, member) || (n.score == score && *n.member == *member));
        let x = w.update[0];
        if x != HEAD && *self.node(x).member == *member {
            w.rank[0]
        } else {
            0
        }
    }

    /// The node at 1-based `rank`, `NIL` when out of range.
    fn by_rank(&self, rank: usize) -> u32 {
        if rank == 0 || rank > self.len {
            return NIL;
        }
        self.walk(|_, r| r <= rank).update[0]
    }

    /// The first node for which `out` is false, assuming `out` holds for a
    /// prefix of the list (a search, as Redis's `zslFirstIn*Range`).
    fn first_not(&self, out: impl Fn(&Node) -> bool) -> u32 {
        self.link(self.walk(|n, _| out(n)).update[0], 0).next
    }

    /// The last node for which `inside` holds, assuming it holds for a
    /// prefix (`HEAD` when none; Redis's `zslLastIn*Range` search).
    fn last_while(&self, inside: impl Fn(&Node) -> bool) -> u32 {
        self.walk(|n, _| inside(n)).update[0]
    }
}

/// A score range: `min`/`max` with exclusive flags (`(1.5` in commands).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreRange {
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
    /// Lower bound excluded.
    pub minex: bool,
    /// Upper bound excluded.
    pub maxex: bool,
}

impl ScoreRange {
    /// Parses `min max` as Redis's `zslParseRange` (`(` prefix for an
    /// exclusive bound, C `strtod` otherwise); `None` is Redis's
    /// "min or max is not a float".
    pub fn parse(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
        let bound = |s: &[u8]| match s.strip_prefix(b"(") {
            Some(rest) => crate::num::strtod_loose(rest).map(|v| (v, true)),
            None => crate::num::strtod_loose(s).map(|v| (v, false)),
        };
        let ((min, minex), (max, maxex)) = (bound(min)?, bound(max)?);
        Some(ScoreRange {
            min,
            max,
            minex,
            maxex,
        })
    }

    /// True when `v` is not below the lower bound.
    #[inline]
    pub fn gte_min(&self, v: f64) -> bool {
        if self.minex {
            v > self.min
        } else {
            v >= self.min
        }
    }

    /// True when `v` is not above the upper bound.
    #[inline]
    pub fn lte_max(&self, v: f64) -> bool {
        if self.maxex {
            v < self.max
        } else {
            v <= self.max
        }
    }

    /// True when no score can be inside.
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }
}

/// One end of a lex range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LexBound<'a> {
    /// `-`: below every string.
    Min,
    /// `+`: above every string.
    Max,
    /// `[s` or `(s`.
    Str(&'a [u8]),
}

impl LexBound<'_> {
    /// Parses `-`, `+`, `[s` or `(s`; returns the bound and whether it is
    /// exclusive (`-` and `+` count as exclusive, as in Redis).
    fn parse(item: &[u8]) -> Option<(LexBound<'_>, bool)> {
        match item.split_first()? {
            (b'+', []) => Some((LexBound::Max, true)),
            (b'-', []) => Some((LexBound::Min, true)),
            (b'(', rest) => Some((LexBound::Str(rest), true)),
            (b'[', rest) => Some((LexBound::Str(rest), false)),
            _ => None,
        }
    }

    /// Redis's `sdscmplex` of two bounds.
    fn cmp_bound(&self, other: &LexBound<'_>) -> Ordering {
        match (self, other) {
            (LexBound::Min, LexBound::Min) | (LexBound::Max, LexBound::Max) => Ordering::Equal,
            (LexBound::Min, _) | (_, LexBound::Max) => Ordering::Less,
            (LexBound::Max, _) | (_, LexBound::Min) => Ordering::Greater,
            (LexBound::Str(a), LexBound::Str(b)) => a.cmp(b),
        }
    }
}

/// A lex range (`[a (b - +`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LexRange<'a> {
    /// Lower bound.
    pub min: LexBound<'a>,
    /// Upper bound.
    pub max: LexBound<'a>,
    /// Lower bound excluded.
    pub minex: bool,
    /// Upper bound excluded.
    pub maxex: bool,
}

impl<'a> LexRange<'a> {
    /// Parses `min max`; `None` is Redis's "min or max not valid string
    /// range item".
    pub fn parse(min: &'a [u8], max: &'a [u8]) -> Option<LexRange<'a>> {
        let (min, minex) = LexBound::parse(min)?;
        let (max, maxex) = LexBound::parse(max)?;
        Some(LexRange {
            min,
            max,
            minex,
            maxex,
        })
    }

    /// True when `v` is not below the lower bound.
    #[inline]
    pub fn gte_min(&self, v: &[u8]) -> bool {
        let c = LexBound::Str(v).cmp_bound(&self.min);
        if self.minex { c.is_gt() } else { c.is_ge() }
    }

    /// True when `v` is not above the upper bound.
    #[inline]
    pub fn lte_max(&self, v: &[u8]) -> bool {
        let c = LexBound::Str(v).cmp_bound(&self.max);
        if self.maxex { c.is_lt() } else { c.is_le() }
    }

    /// True when no string can be inside.
    pub fn is_empty(&self) -> bool {
        let c = self.min.cmp_bound(&self.max);
        c.is_gt() || (c.is_eq() && (self.minex || self.maxex))
    }
}

/// A sorted set.
#[derive(Debug, Clone, Default)]
pub struct ZSet {
    /// Member → score (the same pairs as the skiplist). Read it freely;
    /// change members only through the methods, which keep both in step.
    pub dict: Dict<f64>,
    list: SkipList,
    /// True once Redis would have converted it from listpack to a skiplist
    /// (one way: it never converts back).
    pub big: bool,
}

/// An iterator over (member, score) pairs in score order or its reverse.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    list: &'a SkipList,
    cur: u32,
    rev: bool,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.cur == NIL {
            return None;
        }
        let n = self.list.node(self.cur);
        self.cur = if self.rev { n.prev } else { n.next };
        Some((&n.member, n.score))
    }
}

impl ZSet {
    /// An empty sorted set (listpack-sized).
    pub fn new() -> ZSet {
        ZSet::default()
    }

    /// An empty sorted set already in (`big`) or not in skiplist form.
    pub fn with_big(big: bool) -> ZSet {
        ZSet {
            big,
            ..ZSet::default()
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.dict.len()
    }

    /// True when it has no members.
    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    /// The score of `member`.
    #[inline]
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.dict.get(member).copied()
    }

    /// Adds `member` or moves it to `score` (unless the score compares
    /// equal); returns its previous score.
    /// While the set is listpack-sized, `-0` is stored as `0` (a listpack
    /// keeps integral scores as integers).
    pub fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        debug_assert!(!score.is_nan());
        let score = if !self.big && score == 0.0 {
            0.0
        } else {
            score
        };
        match self.dict.get_mut(member) {
            Some(cur) => {
                // An equal score (even -0 for 0) changes nothing, as in Redis.
                let old = *cur;
                if old != score {
                    *cur = score;
                    self.list.update_score(old, member, score);
                }
                Some(old)
            }
            None => {
                self.dict.insert_new(member, score);
                self.list.insert(score, member.into());
                None
            }
        }
    }

    /// Removes `member`; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let score = self.dict.remove(member)?;
        self.list.delete(score, member);
        Some(score)
    }

    /// The 0-based rank of `member` in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        Some(self.list.rank(score, member) - 1)
    }

    /// The member at 0-based ascending `rank`.
    pub fn get_by_rank(&self, rank: usize) -> Option<(&[u8], f64)> {
        match self.list.by_rank(rank + 1) {
            NIL => None,
            x => Some((&self.list.node(x).member, self.list.node(x).score)),
        }
    }

    fn iter_at(&self, cur: u32, rev: bool) -> Iter<'_> {
        Iter {
            list: &self.list,
            cur,
            rev,
        }
    }

    /// Every (member, score) in ascending order.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_at(self.list.first(), false)
    }

    /// Every (member, score) in descending order.
    pub fn iter_rev(&self) -> Iter<'_> {
        self.iter_at(self.list.tail, true)
    }

    /// Iterates from 0-based `rank` counted in the direction of travel
    /// (rank 0 with `rev` is the highest score).
    pub fn iter_from_rank(&self, rank: usize, rev: bool) -> Iter<'_> {
        if rank >= self.len() {
            return self.iter_at(NIL, rev);
        }
        let asc = if rev { self.len() - rank } else { rank + 1 };
        self.iter_at(self.list.by_rank(asc), rev)
    }

    /// True when some score may be inside `r` (Redis's `zslIsInRange`).
    fn score_overlaps(&self, r: &ScoreRange) -> bool {
        !r.is_empty()
            && self.list.tail != NIL
            && r.gte_min(self.list.node(self.list.tail).score)
            && r.lte_max(self.list.node(self.list.first()).score)
    }

    /// The first (or, with `rev`, last) node inside `r`.
    fn score_edge(&self, r: &ScoreRange, rev: bool) -> u32 {
        if !self.score_overlaps(r) {
            return NIL;
        }
        let x = if rev {
            self.list.last_while(|n| r.lte_max(n.score))
        } else {
            self.list.first_not(|n| !r.gte_min(n.score))
        };
        let inside = x != NIL && x != HEAD && {
            let s = self.list.node(x).score;
            r.gte_min(s) && r.lte_max(s)
        };
        if inside { x } else { NIL }
    }

    /// Iterates from the first member inside `r` (the last with `rev`) to
    /// the end of the set: the caller stops when leaving the range.
    pub fn iter_score(&self, r: &ScoreRange, rev: bool) -> Iter<'_> {
        self.iter_at(self.score_edge(r, rev), rev)
    }

    /// Number of members inside `r`.
    pub fn count_score(&self, r: &ScoreRange) -> usize {
        let (first, last) = (self.score_edge(r, false), self.score_edge(r, true));
        if first == NIL || last == NIL {
            return 0;
        }
        let rank = |x: u32| {
            self.list
                .rank(self.list.node(x).score, &self.list.node(x).member)
        };
        (rank(last) + 1).saturating_sub(rank(first))
    }

    /// True when some member may be inside `r` (Redis's `*IsInLexRange`).
    fn lex_overlaps(&self, r: &LexRange<'_>) -> bool {
        !r.is_empty()
            && self.list.tail != NIL
            && r.gte_min(&self.list.node(self.list.tail).member)
            && r.lte_max(&self.list.node(self.list.first()).member)
    }

    /// The first (or, with `rev`, last) node inside `r`: a linear scan on a
    /// listpack-sized set, a skiplist search on a big one, as Redis does
    /// (they only differ when members are not in lex order).
    fn lex_edge(&self, r: &LexRange<'_>, rev: bool) -> u32 {
        if !self.lex_overlaps(r) {
            return NIL;
        }
        let x = match (self.big, rev) {
            (false, false) => self.scan_until(self.list.first(), false, |m| r.gte_min(m)),
            (false, true) => self.scan_until(self.list.tail, true, |m| r.lte_max(m)),
            (true, false) => self.list.first_not(|n| !r.gte_min(&n.member)),
            (true, true) => self.list.last_while(|n| r.lte_max(&n.member)),
        };
        let inside = x != NIL && x != HEAD && {
            let m = &self.list.node(x).member;
            r.gte_min(m) && r.lte_max(m)
        };
        if inside { x } else { NIL }
    }

    /// The first node from `x` (walking back with `rev`) whose member
    /// satisfies `hit`.
    fn scan_until(&self, mut x: u32, rev: bool, hit: impl Fn(&[u8]) -> bool) -> u32 {
        while x != NIL && !hit(&self.list.node(x).member) {
            let n = self.list.node(x);
            x = if rev { n.prev } else { n.next };
        }
        x
    }

    /// Iterates from the first member inside `r` (the last with `rev`) to
    /// the end of the set: the caller stops when leaving the range.
    pub fn iter_lex(&self, r: &LexRange<'_>, rev: bool) -> Iter<'_> {
        self.iter_at(self.lex_edge(r, rev), rev)
    }

    /// Number of members inside `r`, as ZLEXCOUNT computes it: counted
    /// forward on a listpack-sized set, from the ranks of the first and last
    /// members in range on a big one (which goes negative, as in Redis, if
    /// members are out of lex order).
    pub fn count_lex(&self, r: &LexRange<'_>) -> i64 {
        let first = self.lex_edge(r, false);
        if first == NIL {
            return 0;
        }
        if !self.big {
            return self
                .iter_at(first, false)
                .take_while(|(m, _)| r.lte_max(m))
                .count() as i64;
        }
        let rank = |x: u32| {
            self.list
                .rank(self.list.node(x).score, &self.list.node(x).member) as i64
        };
        match self.lex_edge(r, true) {
            NIL => self.len() as i64 - rank(first) + 1,
            last => rank(last) - rank(first) + 1,
        }
    }

    /// Removes members from the node after `w.update[0]` on while `keep`
    /// holds for them; returns how many.
    fn remove_run(&mut self, w: &Walk, mut keep: impl FnMut(&Node, usize) -> bool) -> usize {
        let mut removed = 0;
        loop {
            let x = self.list.link(w.update[0], 0).next;
            if x == NIL || !keep(self.list.node(x), removed) {
                return removed;
            }
            let member = self.list.unlink(x, &w.update);
            self.dict.remove(&member);
            removed += 1;
        }
    }

    /// Removes ascending ranks `start..=end` (0-based, already clamped).
    pub fn remove_rank_range(&mut self, start: usize, end: usize) -> usize {
        let w = self.list.walk(|_, r| r < start + 1);
        self.remove_run(&w, |_, done| done <= end - start)
    }

    /// Removes the members inside `r`.
    pub fn remove_score_range(&mut self, r: &ScoreRange) -> usize {
        let w = self.list.walk(|n, _| !r.gte_min(n.score));
        self.remove_run(&w, |n, _| r.lte_max(n.score))
    }

    /// Removes the members inside `r` (found as [`ZSet::iter_lex`] does on
    /// a listpack-sized set, by Redis's skiplist search on a big one).
    pub fn remove_lex_range(&mut self, r: &LexRange<'_>) -> usize {
        let w = if self.big {
            self.list.walk(|n, _| !r.gte_min(&n.member))
        } else {
            let first = self.lex_edge(r, false);
            if first == NIL {
                return 0;
            }
            let n = self.list.node(first);
            self.list.walk_before(n.score, &n.member)
        };
        self.remove_run(&w, |n, _| r.lte_max(&n.member))
    }

    /// Removes and returns the member with the lowest (or, with `max`, the
    /// highest) score.
    pub fn pop(&mut self, max: bool) -> Option<(Box<[u8]>, f64)> {
        let x = if max {
            self.list.tail
        } else {
            self.list.first()
        };
        if x == NIL {
            return None;
        }
        let n = self.list.node(x);
        let (score, w) = (n.score, self.list.walk_before(n.score, &n.member));
        let member = self.list.unlink(x, &w.update);
        self.dict.remove(&member);
        Some((member.into(), score))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    /// The model: (score, member) pairs kept sorted in Redis's order.
    fn sorted(z: &[(f64, Vec<u8>)]) -> Vec<(f64, Vec<u8>)> {
        let mut v = z.to_vec();
        v.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then_with(|| a.1.cmp(&b.1)));
        v
    }

    fn as_vec(z: &ZSet) -> Vec<(f64, Vec<u8>)> {
        z.iter().map(|(m, s)| (s, m.to_vec())).collect()
    }

    /// Checks every invariant: order, back links, spans (through ranks),
    /// and dict/list agreement.
    fn check(z: &ZSet, model: &[(f64, Vec<u8>)]) {
        let want = sorted(model);
        assert_eq!(as_vec(z), want);
        let mut back: Vec<_> = z.iter_rev().map(|(m, s)| (s, m.to_vec())).collect();
        back.reverse();
        assert_eq!(back, want);
        assert_eq!(z.len(), want.len());
        for (i, (s, m)) in want.iter().enumerate() {
            assert_eq!(z.rank(m), Some(i));
            assert_eq!(z.score(m), Some(*s));
            assert_eq!(
                z.get_by_rank(i).map(|(m, s)| (s, m.to_vec())),
                Some((*s, m.clone()))
            );
        }
        assert!(z.get_by_rank(want.len()).is_none());
    }

    fn member(rng: &mut SmallRng) -> Vec<u8> {
        let len = rng.random_range(0..3);
        (0..len).map(|_| b'a' + rng.random_range(0..4)).collect()
    }

    #[test]
    fn random_operations_match_a_sorted_vec() {
        let mut rng = SmallRng::seed_from_u64(7);
        for round in 0..40 {
            let mut z = ZSet {
                big: round % 2 == 0,
                ..ZSet::default()
            };
            let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
            for _ in 0..400 {
                let m = member(&mut rng);
                let pos = model.iter().position(|(_, x)| *x == m);
                if rng.random_bool(0.3) {
                    assert_eq!(z.remove(&m), pos.map(|p| model.remove(p).0));
                } else {
                    let score = f64::from(rng.random_range(-3i8..4)) / 2.0;
                    let old = z.insert(&m, score);
                    assert_eq!(old, pos.map(|p| model[p].0));
                    match pos {
                        Some(p) => model[p].0 = score,
                        None => model.push((score, m)),
                    }
                }
            }
            check(&z, &model);
        }
    }

    #[test]
    fn many_levels_stay_consistent() {
        // Enough members for nodes of many levels (boxed links included).
        let mut rng = SmallRng::seed_from_u64(19);
        let mut z = ZSet::with_big(true);
        let mut model = Vec::new();
        for i in 0..20_000u32 {
            let m = format!("{:08x}", i.wrapping_mul(2_654_435_761)).into_bytes();
            let s = f64::from(rng.random_range(0..500u16));
            z.insert(&m, s);
            model.push((s, m));
        }
        for _ in 0..10_000 {
            let (s, m) = model.swap_remove(rng.random_range(0..model.len()));
            assert_eq!(z.remove(&m), Some(s));
        }
        for (s, m) in model.iter_mut().take(2_000) {
            *s = f64::from(rng.random_range(0..500u16));
            z.insert(m, *s);
        }
        check(&z, &model);
    }

    #[test]
    fn rescoring_moves_members_both_ways() {
        // A move searches the new slot with the node still linked: moving
        // past itself, onto its own place, or down must keep ranks and spans.
        let mut rng = SmallRng::seed_from_u64(3);
        let mut z = ZSet::with_big(true);
        let mut model = Vec::new();
        for i in 0..300u16 {
            let m = format!("m{i:03}").into_bytes();
            z.insert(&m, f64::from(i));
            model.push((f64::from(i), m));
        }
        for round in 0..3_000 {
            let (s, m) = &mut model[rng.random_range(0..300)];
            *s = f64::from(rng.random_range(0..300u16)) + f64::from(rng.random_range(0..2u8)) / 2.0;
            z.insert(m, *s);
            if round % 500 == 0 {
                check(&z, &model);
            }
        }
        check(&z, &model);
    }

    fn filled(rng: &mut SmallRng, n: usize) -> (ZSet, Vec<(f64, Vec<u8>)>) {
        let mut z = ZSet {
            big: true,
            ..ZSet::default()
        };
        let mut model = Vec::new();
        for i in 0..n {
            let m = format!("m{:03}", rng.random_range(0..1000) * 1000 + i).into_bytes();
            let s = f64::from(rng.random_range(0..20u8));
            z.insert(&m, s);
            model.push((s, m));
        }
        (z, sorted(&model))
    }

    #[test]
    fn score_ranges_match_a_filter() {
        let mut rng = SmallRng::seed_from_u64(11);
        for _ in 0..200 {
            let n = rng.random_range(0..60);
            let (z, model) = filled(&mut rng, n);
            let r = ScoreRange {
                min: f64::from(rng.random_range(-2..22i8)),
                max: f64::from(rng.random_range(-2..22i8)),
                minex: rng.random(),
                maxex: rng.random(),
            };
            let want: Vec<_> = model
                .iter()
                .filter(|(s, _)| r.gte_min(*s) && r.lte_max(*s))
                .cloned()
                .collect();
            let got: Vec<_> = z
                .iter_score(&r, false)
                .take_while(|(_, s)| r.lte_max(*s))
                .map(|(m, s)| (s, m.to_vec()))
                .collect();
            assert_eq!(got, want);
            let mut rev: Vec<_> = z
                .iter_score(&r, true)
                .take_while(|(_, s)| r.gte_min(*s))
                .map(|(m, s)| (s, m.to_vec()))
                .collect();
            rev.reverse();
            assert_eq!(rev, want);
            assert_eq!(z.count_score(&r), want.len());
            let mut z2 = z.clone();
            assert_eq!(z2.remove_score_range(&r), want.len());
            let rest: Vec<_> = model
                .iter()
                .filter(|x| !want.contains(x))
                .cloned()
                .collect();
            check(&z2, &rest);
        }
    }

    #[test]
    fn lex_ranges_match_a_filter_on_equal_scores() {
        let mut rng = SmallRng::seed_from_u64(13);
        let bound = |rng: &mut SmallRng| -> Vec<u8> {
            match rng.random_range(0..6) {
                0 => b"-".to_vec(),
                1 => b"+".to_vec(),
                2 => [b"(".as_slice(), &member(rng)].concat(),
                _ => [b"[".as_slice(), &member(rng)].concat(),
            }
        };
        for round in 0..300 {
            let mut z = ZSet {
                big: round % 2 == 0,
                ..ZSet::default()
            };
            let mut model = Vec::new();
            for _ in 0..rng.random_range(0..12) {
                let m = member(&mut rng);
                if z.insert(&m, 1.0).is_none() {
                    model.push((1.0, m));
                }
            }
            let model = sorted(&model);
            let (a, b) = (bound(&mut rng), bound(&mut rng));
            let r = LexRange::parse(&a, &b).unwrap();
            let want: Vec<_> = model
                .iter()
                .filter(|(_, m)| r.gte_min(m) && r.lte_max(m))
                .cloned()
                .collect();
            let got: Vec<_> = z
                .iter_lex(&r, false)
                .take_while(|(m, _)| r.lte_max(m))
                .map(|(m, s)| (s, m.to_vec()))
                .collect();
            assert_eq!(got, want);
            let rev = z
                .iter_lex(&r, true)
                .take_while(|(m, _)| r.gte_min(m))
                .count();
            assert_eq!(rev, want.len());
            assert_eq!(z.count_lex(&r), want.len() as i64);
            assert_eq!(z.remove_lex_range(&r), want.len());
            let rest: Vec<_> = model
                .iter()
                .filter(|x| !want.contains(x))
                .cloned()
                .collect();
            check(&z, &rest);
        }
    }

    #[test]
    fn rank_ranges_and_pops() {
        let mut rng = SmallRng::seed_from_u64(17);
        for _ in 0..200 {
            let n = rng.random_range(1..50);
            let (mut z, mut model) = filled(&mut rng, n);
            let start = rng.random_range(0..n);
            let from: Vec<_> = z
                .iter_from_rank(start, false)
                .map(|(m, s)| (s, m.to_vec()))
                .collect();
            assert_eq!(from, model[start..]);
            let back: Vec<_> = z
                .iter_from_rank(start, true)
                .map(|(m, s)| (s, m.to_vec()))
                .collect();
            let mut want: Vec<_> = model[..n - start].to_vec();
            want.reverse();
            assert_eq!(back, want);
            let end = rng.random_range(start..n);
            assert_eq!(z.remove_rank_range(start, end), end - start + 1);
            model.drain(start..=end);
            check(&z, &model);
            if let Some((m, s)) = z.pop(rng.random()) {
                let p = model.iter().position(|(_, x)| **x == *m).unwrap();
                assert!(p == 0 || p == model.len() - 1);
                assert_eq!(model.remove(p).0, s);
            }
            check(&z, &model);
        }
    }

    #[test]
    fn negative_zero_is_zero_in_a_listpack_only() {
        let mut small = ZSet::new();
        small.insert(b"a", -0.0);
        assert!(small.score(b"a").unwrap().is_sign_positive());
        let mut big = ZSet {
            big: true,
            ..ZSet::default()
        };
        big.insert(b"a", -0.0);
        assert!(big.score(b"a").unwrap().is_sign_negative());
        assert_eq!(big.insert(b"a", 0.0), Some(-0.0));
        assert!(big.iter().next().unwrap().1.is_sign_negative());
    }

    #[test]
    fn range_parsing() {
        let r = ScoreRange::parse(b"(1", b"+inf").unwrap();
        assert!(r.minex && !r.maxex && r.max.is_infinite());
        assert!(ScoreRange::parse(b"nan", b"1").is_none());
        assert!(ScoreRange::parse(b"(", b"").is_some());
        assert!(LexRange::parse(b"a", b"+").is_none());
        assert!(LexRange::parse(b"", b"+").is_none());
        assert!(LexRange::parse(b"--", b"+").is_none());
        assert!(LexRange::parse(b"+", b"-").unwrap().is_empty());
        assert!(LexRange::parse(b"-", b"-").unwrap().is_empty());
        assert!(!LexRange::parse(b"-", b"+").unwrap().is_empty());
        assert!(LexRange::parse(b"(a", b"[a").unwrap().is_empty());
        assert!(!LexRange::parse(b"[a", b"[a").unwrap().is_empty());
    }
}
