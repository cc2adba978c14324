# The campaign engine end to end: the real binary against the private MariaDB
# and the aiosmtpd fault relay, one ctest per scenario, grouped in files by
# concern (tests/daemon/engine_<group>_test.py on engine_harness.py; included
# by tests/daemon/CMakeLists.txt).
set(TAYORI_ENGINE_SENDING_TESTS
  campaign_is_sent_and_counted
  metrics_follow_prometheus_conventions
  one_click_unsubscribe_on_the_running_engine
  pause_resume_cancel_take_effect_within_seconds
  late_suppression_is_honoured_before_the_next_message
  domain_without_key_or_verification_does_not_send
  auth_failure_pauses_only_that_sender_domain
  a_shop_over_a_feedback_limit_is_paused_by_the_engine
  a_campaign_pointing_at_another_shops_list_is_paused_not_sent
  a_key_switch_reaches_a_running_engine)
set(TAYORI_ENGINE_FAILURE_TESTS
  kill_9_and_restart_loses_nothing
  sigterm_drains_and_releases_leases
  database_restart_mid_campaign
  relay_dying_mid_transaction_loses_nothing
  relay_replies_that_break_utf8_never_cause_a_resend
  failed_outcome_writes_keep_outcomes_and_stop_sending
  an_account_without_the_engines_privileges_is_refused_at_start
  database_frozen_longer_than_a_lease_sends_nothing_twice
  drain_deadline_gives_back_only_unstarted_work
  one_instance_name_one_process)
set(TAYORI_ENGINE_SHAPING_TESTS
  three_instances_never_send_twice_and_share_the_rate
  destination_limits_hold_across_three_instances
  rate_limit_holds_over_every_5_second_window
  small_shop_is_not_starved_by_a_large_one
  campaigns_beyond_max_campaigns_wait_their_turn
  each_destination_reaches_its_configured_rate
  throttle_reply_pauses_only_that_destination
  throttling_recovers_in_seconds_and_backs_off_while_it_continues)
set(TAYORI_ENGINE_OPERATIONS_TESTS
  sighup_reloads_the_rate_and_refuses_a_broken_file
  sighup_switches_relays_without_losing_or_repeating_work
  systemd_hears_ready_watchdog_and_stopping)
foreach(group IN ITEMS sending failure shaping operations)
  string(TOUPPER ${group} GROUP)
  foreach(t IN LISTS TAYORI_ENGINE_${GROUP}_TESTS)
    add_test(NAME engine.${t}
             COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/engine_${group}_test.py $<TARGET_FILE:tayori>
                     EngineTest.test_${t}
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(engine.${t} PROPERTIES LABELS integration TIMEOUT 240)
    if(TAYORI_SANITIZE)
      # Under ASan+UBSan a message takes several times the CPU: the scenario
      # of each destination's rate then asserts only that no group exceeds
      # its rate; the optimized build's run asserts it reaches 90% of it.
      set_tests_properties(engine.${t} PROPERTIES ENVIRONMENT TAYORI_SANITIZED=1)
    endif()
  endforeach()
endforeach()
# Restarts the shared test MariaDB: nothing else may run meanwhile.
set_tests_properties(engine.database_restart_mid_campaign engine.database_frozen_longer_than_a_lease_sends_nothing_twice
                     PROPERTIES RUN_SERIAL TRUE)
