/**
 * The DeepSeek-R1 distill chat format: the Jinja template the checkpoints ship (current hub version, which forces the
 * opening `<think>\n`) and a plain TypeScript rendering of the same prompt. The supervised-training string is built
 * in electron/traces/training-text.ts.
 */
import { ASSISTANT, BOS, END_THINK, EOS, THINK, USER } from './r1-tokens';

/**
 * Jinja source as it appears in the distills' tokenizer_config.json. String.raw keeps `\n` as the two characters
 * backslash-n: the Jinja string literal turns them into a newline, exactly as in the original file.
 */
export const R1_CHAT_TEMPLATE = [
  String.raw`{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}`,
  String.raw`{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='') %}`,
  String.raw`{%- for message in messages %}{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}{%- endif %}{%- endfor %}`,
  String.raw`{{bos_token}}{{ns.system_prompt}}`,
  String.raw`{%- for message in messages %}`,
  String.raw`{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}`,
  String.raw`{%- if message['role'] == 'assistant' and message['content'] is none %}{%- set ns.is_tool = false -%}`,
  String.raw`{%- for tool in message['tool_calls']%}{%- if not ns.is_first %}`,
  String.raw`{{'<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\n' + '` +
    '```json' +
    String.raw`' + '\n' + tool['function']['arguments'] + '\n' + '` +
    '```' +
    String.raw`' + '<｜tool▁call▁end｜>'}}{%- set ns.is_first = true -%}`,
  String.raw`{%- else %}{{'\n' + '<｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\n' + '` +
    '```json' +
    String.raw`' + '\n' + tool['function']['arguments'] + '\n' + '` +
    '```' +
    String.raw`' + '<｜tool▁call▁end｜>'}}{{'<｜tool▁calls▁end｜><｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor %}{%- endif %}`,
  String.raw`{%- if message['role'] == 'assistant' and message['content'] is not none %}`,
  String.raw`{%- if ns.is_tool %}{{'<｜tool▁outputs▁end｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}{%- set ns.is_tool = false -%}`,
  String.raw`{%- else %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}`,
  String.raw`{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endif %}`,
  String.raw`{%- if message['role'] == 'tool' %}{%- set ns.is_tool = true -%}{%- if ns.is_output_first %}`,
  String.raw`{{'<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- set ns.is_output_first = false %}`,
  String.raw`{%- else %}{{'\n<｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>'}}{%- endif %}{%- endif %}`,
  String.raw`{%- endfor -%}`,
  String.raw`{% if ns.is_tool %}{{'<｜tool▁outputs▁end｜>'}}{% endif %}`,
  String.raw`{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\n'}}{% endif %}`,
].join('');

/** What the prompt ends with when a reply is requested: generation starts inside the thinking block. */
export const R1_GENERATION_PROMPT = `${ASSISTANT}${THINK}\n`;

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Earlier assistant turns go back to the model as answers only (the template's split('</think>')[-1]). */
export function stripReasoning(content: string): string {
  const parts = content.split(END_THINK);
  return parts[parts.length - 1];
}

/**
 * The same text the Jinja template renders for system/user/assistant messages (no tools), for code that builds
 * prompts without a Jinja engine. Tests check both agree.
 */
export function renderR1Prompt(messages: ChatMessage[], addGenerationPrompt = true): string {
  const system = messages.filter((m) => m.role === 'system').at(-1)?.content ?? '';
  let text = BOS + system;
  for (const message of messages) {
    if (message.role === 'user') text += USER + message.content;
    if (message.role === 'assistant') text += ASSISTANT + stripReasoning(message.content) + EOS;
  }
  return addGenerationPrompt ? text + R1_GENERATION_PROMPT : text;
}
